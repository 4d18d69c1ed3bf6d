#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// What the status page shows at one moment, built from the upstream
/// poller's last results (no call downstream): the overall status, the
/// gateway's own checks, each data-api replica with its checks, breaker and
/// ejection, and the client traffic of the last minute. Sent as JSON on
/// `/health/events`.
///
/// Replicas are named `replica-1`, `replica-2`, … in the order the gateway
/// first saw them; their address is included only with `STATUS_SHOW_ADDRESSES`.
struct StatusSnapshot: Codable, Equatable, Sendable {
    /// One check's last result.
    struct Check: Codable, Equatable, Sendable {
        var name: String
        var status: HealthStatus
        var observedValue: Double?
        var observedUnit: String?
        var output: String?
    }

    /// One upstream endpoint.
    struct Replica: Codable, Equatable, Sendable {
        var name: String
        var address: String?
        /// As in the gateway's `/health` (`upstream:responseTime`).
        var status: HealthStatus
        /// `closed`, `open` or `half-open`.
        var breaker: String
        var ejected: Bool
        /// The last health poll's response time (`nil` when it failed).
        var responseTimeMilliseconds: Double?
        var output: String?
        var checkedAt: String?
        var checks: [Check]
    }

    var time: String
    var startedAt: String
    var status: HealthStatus
    var gateway: [Check]
    var replicas: [Replica]
    var traffic: TrafficWindow.Summary

    /// Each check of `checks` (as in a health report), sorted by name.
    static func checks(_ checks: [String: [HealthReport.CheckEntry]]?) -> [Check] {
        (checks ?? [:]).sorted { $0.key < $1.key }.flatMap { key, entries in
            entries.map { entry in
                Check(name: key, status: entry.status, observedValue: entry.observedValue, observedUnit: entry.observedUnit, output: entry.output)
            }
        }
    }

    /// Every subject whose state the history follows, with its state now:
    /// the overall status, each replica's status, breaker, ejection and checks.
    var states: [(subject: String, state: String, output: String?)] {
        var states: [(String, String, String?)] = [("gateway", self.status.rawValue, nil)]
        for check in self.gateway { states.append(("gateway \(check.name)", check.status.rawValue, check.output)) }
        for replica in self.replicas {
            states.append((replica.name, replica.status.rawValue, replica.output))
            states.append(("\(replica.name) breaker", replica.breaker, nil))
            states.append(("\(replica.name) ejection", replica.ejected ? "ejected" : "in rotation", nil))
            for check in replica.checks { states.append(("\(replica.name) \(check.name)", check.status.rawValue, check.output)) }
        }
        return states
    }
}
