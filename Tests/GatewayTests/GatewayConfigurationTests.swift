import Shared
import Testing

@testable import Gateway

@Suite struct GatewayConfigurationTests {
    @Test func defaults() throws {
        let configuration = try GatewayConfiguration(EnvironmentReader(environment: [:]))
        #expect(configuration.http.port == 8080)
        #expect(configuration.upstreams.map(\.absoluteString) == ["http://127.0.0.1:8081", "http://127.0.0.1:8082"])
        #expect(configuration.readyRequiresUpstream == false)
    }

    /// The gateway's own disk and memory checks warn where data-api's do, from the same two settings.
    @Test func systemCheckThresholdsComeFromDataAPIsSettings() throws {
        let configuration = try GatewayConfiguration(EnvironmentReader(environment: ["DISK_WARN_PERCENT": "75", "MEMORY_WARN_PERCENT": "80"]))
        #expect(configuration.systemChecks == SystemCheckSettings(diskWarnPercent: 75, memoryWarnPercent: 80))
    }

    @Test(arguments: [
        ("UPSTREAM_URLS", "ftp://x"), ("UPSTREAM_URLS", "http://user:pw@h:1"), ("RETRY_MAX_ATTEMPTS", "0"),
        ("BREAKER_FAILURE_RATE", "2"), ("HEALTH_WEBHOOK_URL", "nope"), ("HEALTH_WEBHOOK_URL", "https://hooks.example.com/x"), ("RETRY_BACKOFF_CAP_MS", "1"),
        ("MEMORY_WARN_PERCENT", "101"), ("CLIENT_MAX_HEADER_BYTES", "100"), ("CLIENT_MAX_HEADERS", "0"), ("CLIENT_HEADER_TIMEOUT_MS", "0"), ("CLIENT_IDLE_TIMEOUT_MS", "x"),
    ])
    func rejectsBadSettings(key: String, value: String) {
        do {
            _ = try GatewayConfiguration(EnvironmentReader(environment: [key: value]))
            Issue.record("accepted \(key)=\(value)")
        } catch let error as ConfigError {
            #expect(error.setting == key)
            #expect(!error.description.contains("pw@"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
