#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// One sample of everything watched, reduced to comparable values.
struct HealthView: Equatable, Sendable {
    struct Upstream: Equatable, Sendable {
        var status: String
        var output: String?
        /// `key status` of each check the upstream reported that is not passing.
        var failingChecks: [String]
        var ejected: Bool { self.output == "ejected after consecutive errors" }
    }

    /// `nil`: the gateway did not answer.
    var gateway: String?
    var upstreams: [String: Upstream] = [:]
    var breakers: [String: String] = [:]
    /// The affected service's readiness: "200 pass", "503 fail (draining)", "no answer"; `nil` when not watched.
    var serviceReady: String?

    init(gateway body: HealthReport?, serviceReady: String?) {
        self.gateway = body?.status.rawValue
        self.serviceReady = serviceReady
        for entry in body?.checks?["upstream:responseTime"] ?? [] {
            guard let id = entry.componentId else { continue }
            let failing = (entry.checks ?? [:]).sorted { $0.key < $1.key }.compactMap { key, values -> String? in
                let worst = HealthStatus.worst(values.map(\.status))
                return worst == .pass ? nil : "\(key) \(worst.rawValue)"
            }
            self.upstreams[id] = Upstream(status: entry.status.rawValue, output: entry.output, failingChecks: failing)
        }
        for entry in body?.checks?["upstream:circuitBreaker"] ?? [] {
            if let id = entry.componentId { self.breakers[id] = entry.output ?? entry.status.rawValue }
        }
    }

    /// What keeps the stack from being settled (every upstream answering and
    /// not failing, every breaker closed), one phrase each, e.g.
    /// `upstream 10.89.0.5:8081 fail (postgres:responseTime fail: timeout)`.
    var unsettled: [String] {
        guard self.gateway != nil else { return ["the gateway did not answer"] }
        guard !self.upstreams.isEmpty else { return ["the gateway reports no upstream"] }
        let upstreams = self.upstreams.sorted { $0.key < $1.key }.compactMap { id, upstream -> String? in
            guard upstream.status == "fail" else { return nil }
            let detail = (upstream.failingChecks + [upstream.output].compactMap { $0 }).joined(separator: "; ")
            return "upstream \(Self.label(id)) fail" + (detail.isEmpty ? "" : " (\(detail))")
        }
        let breakers = self.breakers.sorted { $0.key < $1.key }.compactMap { id, state in
            state == "closed" ? nil : "breaker of \(Self.label(id)) \(state)"
        }
        return upstreams + breakers
    }

    static func severity(_ status: String?) -> Int {
        switch status {
        case "pass": 0
        case "warn": 1
        default: 2
        }
    }

    /// Back to how it was before the fault: same overall status, as many
    /// upstreams in each status, every breaker closed, nothing ejected, the
    /// same readiness.
    func isRecovered(comparedTo baseline: HealthView) -> Bool {
        self.gateway == baseline.gateway && self.breakers.values.allSatisfy { $0 == "closed" }
            && !self.upstreams.values.contains(where: \.ejected)
            // Compared as a multiset, not by URL: in compose a restarted
            // replica may come back with another address.
            && self.upstreams.values.map(\.status).sorted() == baseline.upstreams.values.map(\.status).sorted()
            && self.serviceReady == baseline.serviceReady
    }

    static func label(_ url: String) -> String {
        url.replacing("http://", with: "")
    }
}
