import Logging
import Shared
import Testing

@testable import Gateway

@Suite struct EndpointTests {
    /// issue 15: after a PostgreSQL outage, the gateway ejected a replica
    /// that had just recovered, for the calls panic mode had sent it while
    /// both replicas failed their checks, and kept it out for the ejection
    /// time (1.5–1.9 s on compose).
    @Test func failuresWhileFailingItsChecksNeverEjectAnEndpoint() throws {
        let configuration = try GatewayConfiguration(
            EnvironmentReader(environment: ["UPSTREAM_URLS": "http://127.0.0.1:9001", "EJECT_CONSECUTIVE_FAILURES": "3"])
        )
        let endpoint = EndpointSet(configuration: configuration, logger: Logger(label: "test")).all[0]
        let now = ContinuousClock.now
        func check(_ success: Bool) -> Bool {
            endpoint.recordCheck(success: success, report: nil, latencyMilliseconds: nil, output: nil, now: now, ejectionDuration: .seconds(30)).healthChanged
        }
        func fail(times: Int) -> [Bool] {
            (0..<times).map { _ in
                _ = endpoint.tryAcquire(now: now)
                return endpoint.recordCall(success: false, now: now, ejectAfter: 3).ejected
            }
        }
        #expect(!endpoint.snapshot.healthy, "not checked yet")
        #expect(fail(times: 5) == [false, false, false, false, false], "unhealthy: panic-mode failures do not eject")
        #expect(check(true) && endpoint.snapshot.healthy)
        #expect(fail(times: 2) == [false, false], "turning healthy cleared the count of its failing time")
        #expect(fail(times: 1) == [true], "healthy: the third consecutive failure ejects")
        #expect(endpoint.snapshot.ejected)
    }

    @Test func failuresWhileFailingItsChecksNeverOpenTheBreaker() throws {
        let configuration = try GatewayConfiguration(
            EnvironmentReader(environment: ["UPSTREAM_URLS": "http://127.0.0.1:9001", "EJECT_CONSECUTIVE_FAILURES": "100", "BREAKER_CONSECUTIVE_FAILURES": "5"])
        )
        let endpoint = EndpointSet(configuration: configuration, logger: Logger(label: "test")).all[0]
        let now = ContinuousClock.now
        func fail(times: Int) {
            for _ in 0..<times {
                _ = endpoint.tryAcquire(now: now)
                _ = endpoint.recordCall(success: false, now: now, ejectAfter: 100)
            }
        }
        fail(times: 20)
        #expect(endpoint.snapshot.breaker == .closed, "unhealthy: panic-mode failures do not open the breaker")
        _ = endpoint.recordCheck(success: true, report: nil, latencyMilliseconds: nil, output: nil, now: now, ejectionDuration: .seconds(30))
        fail(times: 4)
        #expect(endpoint.snapshot.breaker == .closed)
        fail(times: 1)
        #expect(endpoint.snapshot.breaker == .open, "healthy: the fifth consecutive failure opens it")
    }
}
