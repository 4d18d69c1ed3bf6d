import Logging
import Shared
import Testing

@testable import Gateway

@Suite struct EndpointSetTests {
    /// Found by the replica-hang and postgres-outage demos: an open breaker
    /// half-opens only when a call is tried, and an open endpoint was never
    /// offered one while another endpoint was available, so it stayed open
    /// (and the gateway `warn`) for as long as the other carried the load.
    @Test func anOpenBreakerIsOfferedTrafficAgainAfterItsWait() throws {
        let configuration = try GatewayConfiguration(
            EnvironmentReader(environment: [
                "UPSTREAM_URLS": "http://127.0.0.1:9001,http://127.0.0.1:9002", "BREAKER_CONSECUTIVE_FAILURES": "1", "BREAKER_OPEN_MS": "1000",
                "EJECT_CONSECUTIVE_FAILURES": "1000",
            ])
        )
        let endpoints = EndpointSet(configuration: configuration, logger: Logger(label: "test"))
        let start = ContinuousClock.now
        // Both pass their checks: only then do failures count toward a breaker.
        for endpoint in endpoints.all {
            _ = endpoint.recordCheck(success: true, report: nil, latencyMilliseconds: nil, output: nil, now: start, ejectionDuration: .seconds(30))
        }
        let broken = endpoints.all[0]
        #expect(broken.tryAcquire(now: start))
        #expect(broken.recordCall(success: false, now: start, ejectAfter: 1000).breakerChanged == .open)

        func picks(at now: ContinuousClock.Instant) -> [String] {
            (0..<4).compactMap { _ in
                guard let (endpoint, _) = endpoints.pick(excluding: { _ in false }, now: now) else { return nil }
                _ = endpoint.recordCall(success: true, now: now, ejectAfter: 1000)
                return endpoint.url
            }
        }
        #expect(!picks(at: start + .milliseconds(500)).contains(broken.url), "open: skipped while the other endpoint is available")
        #expect(picks(at: start + .milliseconds(1100)).contains(broken.url), "wait over: offered a half-open probe")
        #expect(broken.snapshot.breaker == .closed, "two probe successes close it")
    }
}
