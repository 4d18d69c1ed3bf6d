import Shared
import Testing

@testable import DataAPI

@Suite struct DataAPIConfigurationTests {
    @Test func defaultsMatchTheLocalStack() throws {
        let configuration = try DataAPIConfiguration(EnvironmentReader(environment: [:]))
        #expect(configuration.http.port == 8081)
        #expect(configuration.http.host == "127.0.0.1")
        #expect(configuration.postgres.url == "postgresql://app@127.0.0.1:55432/app")
        #expect(configuration.redis.port == 56379)
        #expect(configuration.adminToken == nil)
        #expect(configuration.chaos == .off)
    }

    @Test func redisURLWithPasswordAndDatabase() throws {
        let settings = try RedisSettings(EnvironmentReader(environment: ["REDIS_URL": "redis://:p%40ss@cache.internal:6380/3"]))
        #expect(settings.host == "cache.internal")
        #expect(settings.port == 6380)
        #expect(settings.database == 3)
        #expect(settings.password == "p@ss")
        let overridden = try RedisSettings(EnvironmentReader(environment: ["REDIS_URL": "redis://:a@h:1/0", "REDIS_PASSWORD": "b"]))
        #expect(overridden.password == "b")
        // Decoded once: "%25" is a literal "%", not the start of another escape.
        let percent = try RedisSettings(EnvironmentReader(environment: ["REDIS_URL": "redis://:100%25%2540@h:1/0"]))
        #expect(percent.password == "100%%40")
    }

    @Test(arguments: ["http://x:1", "redis://", "redis://:secretpw@h:1/99", "not a url"])
    func badRedisURLNamesTheSettingNotThePassword(url: String) {
        do {
            _ = try RedisSettings(EnvironmentReader(environment: ["REDIS_URL": url]))
            Issue.record("accepted \(url)")
        } catch let error as ConfigError {
            #expect(error.setting == "REDIS_URL")
            #expect(!error.description.contains("secretpw"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func rejectsBadValuesWithTheSettingName() {
        let cases: [(String, String)] = [
            ("DATABASE_URL", "mysql://x"), ("CHAOS_ERROR_RATE", "1.5"), ("CHAOS_LATENCY_MS", "-1"),
            ("ADMIN_TOKEN", "short"), ("HEALTH_FAILURE_THRESHOLD", "0"), ("HTTP_PORT", "http"),
            ("DISK_WARN_PERCENT", "0"),
        ]
        for (key, value) in cases {
            do {
                _ = try DataAPIConfiguration(EnvironmentReader(environment: [key: value]))
                Issue.record("accepted \(key)=\(value)")
            } catch let error as ConfigError {
                #expect(error.setting == key)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
