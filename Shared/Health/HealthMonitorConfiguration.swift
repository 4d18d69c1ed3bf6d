/// How often and how strictly ``HealthMonitor`` runs its checks.
public struct HealthMonitorConfiguration: Sendable, Equatable {
    /// Time between the starts of two runs of the same check.
    public var interval: Duration
    /// How long one run may take before it counts as failed (`timeout`).
    public var timeout: Duration
    /// Consecutive failures before a check turns `fail`.
    public var failureThreshold: Int
    /// Consecutive successes before a failing check turns back.
    public var successThreshold: Int
    /// Benchmark and ablation only: how probes get their answer (see ``HealthProbeMode``).
    public var probeMode: HealthProbeMode

    public init(
        interval: Duration = .milliseconds(250), timeout: Duration = .milliseconds(1000), failureThreshold: Int = 2, successThreshold: Int = 1,
        probeMode: HealthProbeMode = .cached
    ) {
        self.interval = interval
        self.timeout = timeout
        self.failureThreshold = failureThreshold
        self.successThreshold = successThreshold
        self.probeMode = probeMode
    }
}

/// How `/health/ready` and `/health` get their answer (`HEALTH_PROBE_MODE`).
///
/// **Benchmark and ablation only.** `cached` (the default, and the design) answers from the
/// monitor's last background results, so probe traffic never reaches a
/// dependency. `direct` is the naive design, kept so `scripts/bench` can measure
/// the difference with the same binary (and `--ablate` what caching buys in
/// postgres-partition): every such probe first runs every
/// check once (as ``HealthMonitor/runAllOnce()``), so N probes cost N queries
/// on each dependency. Never use `direct` in production.
public enum HealthProbeMode: String, ConfigChoice, Sendable {
    case cached
    case direct
}

extension HealthMonitorConfiguration {
    /// Reads `HEALTH_INTERVAL_MS`, `HEALTH_TIMEOUT_MS`, `HEALTH_FAILURE_THRESHOLD`,
    /// `HEALTH_SUCCESS_THRESHOLD` and `HEALTH_PROBE_MODE` (benchmark and ablation only).
    public init(_ reader: EnvironmentReader) throws {
        let defaults = HealthMonitorConfiguration()
        self.init(
            interval: try reader.milliseconds("HEALTH_INTERVAL_MS", default: defaults.interval, range: 10...600_000),
            timeout: try reader.milliseconds("HEALTH_TIMEOUT_MS", default: defaults.timeout, range: 10...600_000),
            failureThreshold: try reader.int("HEALTH_FAILURE_THRESHOLD", default: defaults.failureThreshold, range: 1...100),
            successThreshold: try reader.int("HEALTH_SUCCESS_THRESHOLD", default: defaults.successThreshold, range: 1...100),
            probeMode: try reader.choice("HEALTH_PROBE_MODE", default: defaults.probeMode)
        )
    }
}
