/// A resilience mechanism the ablation switches off, and the documented
/// settings of the services that switch it off (docs/configuration.md).
enum Mechanism: String, CaseIterable, Sendable {
    case retries
    case retryBudget = "retry-budget"
    case breaker
    case ejection
    case activeChecks = "active-checks"
    case watchdog
    case cacheSkip = "cache-skip"
    case singleFlight = "single-flight"
    case panicRouting = "panic-routing"
    case cachedProbes = "cached-probes"
    case loadShedding = "load-shedding"

    /// What the ablation's table and verdict call it.
    var label: String {
        switch self {
        case .retries: "retries"
        case .retryBudget: "retry budget"
        case .breaker: "circuit breaker"
        case .ejection: "passive ejection"
        case .activeChecks: "gateway's active health checks"
        case .watchdog: "watchdog"
        case .cacheSkip: "skipping a failed cache"
        case .singleFlight: "single-flight reads"
        case .panicRouting: "panic routing"
        case .cachedProbes: "cached health probes"
        case .loadShedding: "load shedding"
        }
    }

    /// The environment a stack without it is started with.
    var switchedOff: [(name: String, value: String)] {
        switch self {
        case .retries: [("RETRY_MAX_ATTEMPTS", "1")]
        case .retryBudget: [("RETRY_BUDGET_PERCENT", "100"), ("RETRY_BUDGET_MIN_CONCURRENCY", "10000")]
        case .breaker: [("BREAKER_CONSECUTIVE_FAILURES", "10000"), ("BREAKER_MIN_CALLS", "10000")]
        case .ejection: [("EJECT_CONSECUTIVE_FAILURES", "10000")]
        // One poll every ten minutes: the first comes at start-up, none during the run.
        case .activeChecks: [("UPSTREAM_HEALTH_INTERVAL_MS", "600000")]
        case .watchdog: [("WATCHDOG_TIMEOUT_MS", "0")]
        case .cacheSkip: [("CACHE_SKIP_WHEN_FAILING", "false")]
        case .singleFlight: [("ITEM_READS_SINGLE_FLIGHT", "false")]
        case .panicRouting: [("PANIC_ROUTING", "false")]
        // Every probe runs the checks itself (the benchmark's mode).
        case .cachedProbes: [("HEALTH_PROBE_MODE", "direct")]
        // The setting's maximum: nothing the demos offer reaches it.
        case .loadShedding: [("MAX_IN_FLIGHT_REQUESTS", "1000000")]
        }
    }
}
