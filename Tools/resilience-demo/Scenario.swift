/// One resilience demo: how long the fault lasts, how it is removed, and
/// what counts as success.
struct Scenario: Sendable {
    /// How the fault ends.
    enum Removal: Sendable {
        /// The driver removes it after `hold` seconds (`HOOK remove NAME`).
        case afterHold(seconds: Double)
        /// The stack heals itself: `HOOK remove NAME` waits for the restarted
        /// process (the supervisor or the restart policy brings it back).
        case selfHealing
    }

    /// Which mechanism should notice the fault, for the detection budget.
    enum Detection: Sendable {
        /// A data-api health check sees a refused connection.
        case dependencyCheck
        /// A data-api health check times out (a silent partition): each
        /// failed run takes the check's timeout, and it takes the failure
        /// threshold's runs to fail.
        case dependencyTimeout
        /// The gateway's active check sees a refused connection.
        case upstreamRefused
        /// The gateway's active check times out.
        case upstreamTimeout
        /// Requests time out (per try) and trip the breaker or ejection.
        case requestTimeouts
        /// Nothing has to notice: retries hide the fault.
        case notExpected
    }

    let name: String
    let summary: String
    let removal: Removal
    let detection: Detection
    /// Whether client-visible read errors must stay at or under 0.1 %.
    let readsMustSucceed: Bool
    /// One seeded item is the poison: one read in ten asks for it, the chaos
    /// makes its path fail (`{path}` in ``chaos``), and every other request
    /// must succeed with no breaker opened and no replica ejected.
    var poisonsOneItem = false
    /// The mechanisms that act on this fault: `--ablate` runs it once
    /// without each of them.
    var mechanisms: [Mechanism] = []
    /// Made by the fault proxy and lifted by the driver, not by the hook.
    var network: NetworkFault?
    /// data-api's chaos, set and turned off by the driver (with a
    /// self-healing removal, the hook notes the affected process first and
    /// waits for its restart).
    var chaos: ChaosFault?
    /// The service one of whose processes the fault restarts (stops and
    /// starts, kills or exits); every other process must keep running.
    var restarts: String?
    /// How soon after the fault's removal everything must look like the baseline again.
    var recoveryBudgetMs = Self.defaultRecoveryBudgetMs
    static let defaultRecoveryBudgetMs = 10_000
    /// Reads during the fault, once it was detected, must not each pay the
    /// Redis command timeout: their p99 is compared with the baseline's.
    var comparesReadLatency = false
    /// Once the fault is in place (Redis restarted empty), the driver runs
    /// the cold-cache herd (``Herd``) and judges its PostgreSQL queries.
    var coldCacheHerd = false
    /// The fault is the driver's own load (``Overload``): three times the
    /// sustainable rate, measured first, on a stack whose PostgreSQL is slowed.
    var overload = false

    /// The hook takes part in injecting and removing the fault (not for the
    /// fault proxy's, the driver's load, or chaos the driver turns off).
    var hookActs: Bool {
        if case .selfHealing = self.removal { return true }
        return self.network == nil && !self.overload && self.chaos == nil
    }

    static let all: [Scenario] = [
        Scenario(
            name: "postgres-outage", summary: "PostgreSQL stopped hard (immediate), down ~5 s, then started",
            removal: .afterHold(seconds: 5), detection: .dependencyCheck, readsMustSucceed: false, mechanisms: [.breaker, .retries, .panicRouting],
            restarts: "postgres"
        ),
        Scenario(
            name: "redis-outage", summary: "Redis stopped for ~5 s: the cache disappears, data-api warns and serves",
            removal: .afterHold(seconds: 5), detection: .dependencyCheck, readsMustSucceed: true, restarts: "redis"
        ),
        Scenario(
            name: "replica-crash", summary: "one data-api replica SIGKILLed; its supervisor restarts it",
            removal: .selfHealing, detection: .upstreamRefused, readsMustSucceed: true, mechanisms: [.retries, .ejection, .activeChecks],
            restarts: "data-api"
        ),
        Scenario(
            name: "replica-hang", summary: "one data-api replica frozen (SIGSTOP / pause) for ~5 s, then resumed",
            removal: .afterHold(seconds: 5), detection: .upstreamTimeout, readsMustSucceed: false, mechanisms: [.retries, .breaker, .ejection, .activeChecks]
        ),
        Scenario(
            name: "flaky-upstream", summary: "10 % injected 500s on every replica for ~8 s",
            removal: .afterHold(seconds: 8), detection: .notExpected, readsMustSucceed: true, mechanisms: [.retries, .retryBudget, .ejection],
            chaos: ChaosFault(json: #"{"errorRate":0.1,"latencyMs":0}"#, everyReplica: true)
        ),
        Scenario(
            name: "slow-upstream", summary: "3 s injected latency on one replica for ~8 s (over the per-try timeout)",
            removal: .afterHold(seconds: 8), detection: .requestTimeouts, readsMustSucceed: false, mechanisms: [.retries, .breaker],
            chaos: ChaosFault(json: #"{"errorRate":0,"latencyMs":3000}"#, everyReplica: false)
        ),
        Scenario(
            name: "wedged-process", summary: "one replica's Swift Concurrency threads blocked; its watchdog exits it, the supervisor restarts it",
            removal: .selfHealing, detection: .upstreamTimeout, readsMustSucceed: false, mechanisms: [.watchdog, .retries],
            chaos: ChaosFault(json: #"{"errorRate":0,"latencyMs":0,"wedgeMs":120000}"#, everyReplica: false), restarts: "data-api"
        ),
        Scenario(
            name: "gateway-crash", summary: "the gateway SIGKILLed; its supervisor (or restart policy) restarts it",
            removal: .selfHealing, detection: .notExpected, readsMustSucceed: false, restarts: "gateway"
        ),
        Scenario(
            name: "poison-request", summary: "one item's path answers 500 on every replica for ~8 s, one read in ten asks for it",
            removal: .afterHold(seconds: 8), detection: .notExpected, readsMustSucceed: false, poisonsOneItem: true, mechanisms: [.retries],
            chaos: ChaosFault(json: #"{"errorRate":0,"latencyMs":0,"failPath":"{path}"}"#, everyReplica: true)
        ),
        Scenario(
            name: "postgres-partition", summary: "data-api to PostgreSQL silently partitioned (nothing crosses, nothing is reset) for ~8 s, then healed",
            removal: .afterHold(seconds: 8), detection: .dependencyTimeout, readsMustSucceed: false, mechanisms: [.retries, .breaker, .cachedProbes],
            network: NetworkFault(route: "postgres", kind: .blackhole), recoveryBudgetMs: 2000
        ),
        Scenario(
            name: "redis-partition", summary: "data-api to Redis silently partitioned for ~8 s: reads go to PostgreSQL without paying Redis's timeout",
            removal: .afterHold(seconds: 8), detection: .dependencyTimeout, readsMustSucceed: true, mechanisms: [.cacheSkip],
            network: NetworkFault(route: "redis", kind: .blackhole), recoveryBudgetMs: 2000, comparesReadLatency: true
        ),
        Scenario(
            name: "postgres-latency", summary: "+200 ms on every PostgreSQL round trip for ~8 s",
            removal: .afterHold(seconds: 8), detection: .notExpected, readsMustSucceed: true, mechanisms: [.retries],
            network: NetworkFault(route: "postgres", kind: .latency, latencyMs: 200)
        ),
        Scenario(
            name: "cold-cache",
            summary: "Redis restarted empty, then \(Herd.itemCount * Herd.readsPerItem) concurrent reads of \(Herd.itemCount) hot items while PostgreSQL answers in +\(Herd.postgresLatencyMs) ms",
            removal: .afterHold(seconds: 1), detection: .notExpected, readsMustSucceed: true, mechanisms: [.singleFlight], restarts: "redis",
            coldCacheHerd: true
        ),
        Scenario(
            name: "overload",
            summary: "3x the sustainable rate of uncached reads for \(Overload.seconds) s (PostgreSQL +\(Overload.postgresLatencyMs) ms, so its pools are the limit), then the steady load alone",
            removal: .afterHold(seconds: 0), detection: .notExpected, readsMustSucceed: false, mechanisms: [.loadShedding, .retryBudget], overload: true
        ),
    ]

    static func named(_ name: String) -> Scenario? {
        self.all.first { $0.name == name }
    }
}
