import Metrics

/// The health monitor's metrics: run durations, outcomes and transitions per check.
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

    func recordTransition(_ transition: HealthTransition) {
        Counter(label: "health_check_transitions_total", dimensions: [("check", transition.check), ("to", transition.to.rawValue)], factory: self.telemetry.factory)
            .increment()
        Gauge(label: "health_check_status", dimensions: [("check", transition.check)], factory: self.telemetry.factory)
            .record(Self.value(transition.to))
        Gauge(label: "health_status", factory: self.telemetry.factory).record(Self.value(transition.overallTo))
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
