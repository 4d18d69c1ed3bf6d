import Metrics

/// The health monitor's metrics: run durations, outcomes, transitions and
/// the current status of every check.
struct HealthMetrics: Sendable {
    let telemetry: Telemetry

    init(telemetry: Telemetry) {
        self.telemetry = telemetry
    }

    func recordRun(_ check: String, duration: Duration, success: Bool) {
        Timer(label: "health_check_duration_seconds", dimensions: [("check", check)], preferredDisplayUnit: .seconds, factory: self.telemetry.factory)
            .record(duration: duration)
        Counter(label: "health_check_runs_total", dimensions: [("check", check), ("result", success ? "success" : "failure")], factory: self.telemetry.factory)
            .increment()
    }

    /// `health_check_status{check,critical}` and `health_status`, written
    /// after every run (not only on a transition), so a check that fails from
    /// its first run has a series too.
    func recordStatus(_ descriptor: CheckDescriptor, status: HealthStatus, overall: HealthStatus) {
        let critical = descriptor.criticality == .critical ? "true" : "false"
        Gauge(label: "health_check_status", dimensions: [("check", descriptor.key), ("critical", critical)], factory: self.telemetry.factory)
            .record(Self.value(status))
        Gauge(label: "health_status", factory: self.telemetry.factory).record(Self.value(overall))
    }

    func recordTransition(_ transition: HealthTransition) {
        Counter(label: "health_check_transitions_total", dimensions: [("check", transition.check), ("to", transition.to.rawValue)], factory: self.telemetry.factory)
            .increment()
    }

    /// `health_ready`: 1 when `/health/ready` answers 200, else 0.
    func recordReadiness(_ ready: Bool) {
        Gauge(label: "health_ready", factory: self.telemetry.factory).record(ready ? 1 : 0)
    }

    /// 0 pass, 1 warn, 2 fail: alert rules compare against these.
    static func value(_ status: HealthStatus) -> Double {
        switch status {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        }
    }
}
