import Shared
import Testing

@testable import Gateway

@Suite struct GatewayHealthTests {
    func endpoint(healthy: Bool = true, ejected: Bool = false, breaker: CircuitBreaker.State = .closed, reported: HealthStatus? = .pass) -> Endpoint.Snapshot {
        Endpoint.Snapshot(
            url: "http://e", healthy: healthy, ejected: ejected, breaker: breaker,
            report: reported.map { HealthReport(status: $0) }, latencyMilliseconds: 1, checkedAt: nil, output: nil, outstanding: 0
        )
    }

    @Test func worstStatusWinsWithTheRules() {
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint()], own: .pass) == .pass)
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint(healthy: false)], own: .pass) == .warn, "one out")
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint(ejected: true)], own: .pass) == .warn, "one ejected")
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint(breaker: .open)], own: .pass) == .warn, "a breaker open")
        #expect(GatewayHealth.status([self.endpoint(reported: .warn)], own: .pass) == .warn, "an upstream warns")
        #expect(GatewayHealth.status([self.endpoint(healthy: false), self.endpoint(ejected: true)], own: .pass) == .fail, "none healthy")
        #expect(GatewayHealth.status([], own: .pass) == .fail)
        #expect(GatewayHealth.status([self.endpoint()], own: .warn) == .warn)
    }
}
