#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// The gateway's aggregated health report, built from the poller's last
/// results (a request to `/health` makes no call downstream):
///
/// - the gateway's own checks (disk, memory);
/// - `upstream:responseTime`, one entry per endpoint (`componentId` its URL):
///   its last polled status and response time, and the checks it reported;
/// - `upstream:circuitBreaker`, one entry per endpoint: its breaker state.
///
/// Worst status wins: `fail` when no endpoint is healthy; `warn` when some
/// are out, a breaker is not closed, an upstream reports `warn`, or an own
/// check warns; `pass` otherwise.
struct GatewayHealth: Sendable {
    let endpoints: EndpointSet
    let monitor: HealthMonitor

    func report() -> HealthReport {
        let snapshots = self.endpoints.all.map(\.snapshot)
        let own = self.monitor.snapshot
        var checks = own.report.checks ?? [:]
        checks["upstream:responseTime"] = snapshots.map(Self.endpointEntry)
        checks["upstream:circuitBreaker"] = snapshots.map { snapshot in
            HealthReport.CheckEntry(
                componentId: snapshot.url, componentType: "component", status: snapshot.breaker == .closed ? .pass : .warn,
                output: snapshot.breaker.rawValue, critical: false
            )
        }
        return HealthReport(status: Self.status(snapshots, own: own.status), serviceId: "gateway", checks: checks)
    }

    static func status(_ snapshots: [Endpoint.Snapshot], own: HealthStatus) -> HealthStatus {
        let healthy = snapshots.filter { $0.healthy && !$0.ejected }
        if healthy.isEmpty { return .fail }
        let degraded =
            healthy.count < snapshots.count || snapshots.contains { $0.breaker != .closed }
            || healthy.contains { $0.report?.status == .warn } || own != .pass
        return degraded ? .warn : .pass
    }

    static func endpointEntry(_ snapshot: Endpoint.Snapshot) -> HealthReport.CheckEntry {
        let status: HealthStatus
        var output = snapshot.output
        if !snapshot.healthy {
            status = .fail
        } else if snapshot.ejected {
            status = .fail
            output = "ejected after consecutive errors"
        } else {
            status = snapshot.report?.status ?? .pass
        }
        return HealthReport.CheckEntry(
            componentId: snapshot.url, componentType: "service", observedValue: snapshot.latencyMilliseconds,
            observedUnit: snapshot.latencyMilliseconds == nil ? nil : "ms", status: status,
            time: snapshot.checkedAt.map(HealthTime.string), output: output, critical: true, checks: snapshot.report?.checks
        )
    }
}
