import Shared
import Testing

@testable import DataAPI
@testable import Gateway
@testable import resilience_demo

/// `--ablate`: the runs it plans, that each switch is a real setting, and the verdicts.
struct AblationTests {
    static func result(failed: Int, p99: Double = 5, max: Double = 10, recover: Int? = 100) -> ScenarioResult {
        var requests = ScenarioResult.Requests()
        requests.total = 100
        requests.failed = failed
        requests.ok = 100 - failed
        return ScenarioResult(
            scenario: "replica-hang", description: "", target: "local", settings: StackSettings(), durationMs: 1, requests: requests,
            latency: .init(p50Ms: 1, p99Ms: p99, maxMs: max), faultInjectedAtMs: 0, faultRemovedAtMs: 1, timeToDetectMs: nil, detectedBy: nil,
            detectionBudgetMs: nil, timeToRecoverMs: recover, replicaRecoveryMs: nil, clientErrorRatePercent: Double(failed),
            readErrorRatePercent: 0, writesLost: 0, gatewayRetries: nil, timeline: []
        )
    }

    @Test func thePlanRunsEachScenarioAsDesignedThenWithoutEachMechanism() throws {
        let hang = try #require(Scenario.named("replica-hang"))
        let lines = Ablation.plan([hang]).split(separator: "\n")
        #expect(lines.first == "replica-hang as-designed")
        #expect(lines.count == 1 + hang.mechanisms.count)
        #expect(lines.contains("replica-hang breaker BREAKER_CONSECUTIVE_FAILURES=10000 BREAKER_MIN_CALLS=10000"))
        #expect(Ablation.plan([try #require(Scenario.named("gateway-crash"))]).isEmpty, "nothing to switch off")
    }

    /// Each switch is a setting the gateway or data-api accepts, and it takes effect.
    @Test func everySwitchIsAServiceSettingThatTakesEffect() throws {
        let defaults = try GatewayConfiguration(EnvironmentReader(environment: [:]))
        let dataAPIDefaults = try DataAPIConfiguration(EnvironmentReader(environment: [:]))
        for mechanism in Mechanism.allCases {
            let environment = Dictionary(uniqueKeysWithValues: mechanism.switchedOff.map { ($0.name, $0.value) })
            let switched = try GatewayConfiguration(EnvironmentReader(environment: environment))
            let dataAPI = try DataAPIConfiguration(EnvironmentReader(environment: environment))
            switch mechanism {
            case .retries: #expect(switched.maxAttempts == 1 && defaults.maxAttempts > 1)
            case .retryBudget: #expect(switched.retryBudget.allowsRetry(activeRequests: 1, activeRetries: 1000))
            case .breaker: #expect(switched.breaker.consecutiveFailures == 10000 && switched.breaker.minimumCalls == 10000)
            case .ejection: #expect(switched.ejectAfterFailures == 10000)
            case .activeChecks: #expect(switched.upstreamHealth.interval == .seconds(600))
            case .watchdog: #expect(switched.watchdogTimeout == .zero && defaults.watchdogTimeout > .zero)
            case .cacheSkip: #expect(!dataAPI.cacheSkipWhenFailing && dataAPIDefaults.cacheSkipWhenFailing)
            case .singleFlight: #expect(!dataAPI.itemReadsSingleFlight && dataAPIDefaults.itemReadsSingleFlight)
            case .panicRouting: #expect(!switched.panicRouting && defaults.panicRouting)
            case .cachedProbes: #expect(dataAPI.health.probeMode == .direct && dataAPIDefaults.health.probeMode == .cached)
            case .loadShedding: #expect(switched.maxInFlight == 1_000_000 && defaults.maxInFlight <= 1024)
            }
        }
    }

    @Test func theVerdictNamesWhatTheMechanismLowers() {
        let designed = Self.result(failed: 3)
        let verdict = Ablation.verdict(.breaker, scenario: "replica-hang", designed: designed, without: .init(result: Self.result(failed: 37)))
        #expect(verdict == "circuit breaker: −92 % client errors in replica-hang (37 without it → 3 with it)")
        let slower = Ablation.verdict(.retries, scenario: "replica-hang", designed: designed, without: .init(result: Self.result(failed: 3, max: 2000)))
        #expect(slower == "retries: −99 % longest client wait in replica-hang (2000 ms without it → 10 ms with it)")
        let same = Ablation.verdict(.ejection, scenario: "replica-hang", designed: designed, without: .init(result: Self.result(failed: 3)))
        #expect(same == "passive ejection: nothing measurably better with it in this run of replica-hang (client errors 3 with, 3 without)")
        let costly = Ablation.verdict(.retries, scenario: "poison-request", designed: Self.result(failed: 31, p99: 262.8), without: .init(result: Self.result(failed: 33, p99: 7.9)))
        #expect(costly == "retries: nothing measurably better with it in this run of poison-request; it costs p99 latency (7.9 ms without it → 262.8 ms with it)")
        let both = Ablation.verdict(.retries, scenario: "postgres-outage", designed: Self.result(failed: 39, max: 4022.5), without: .init(result: Self.result(failed: 45, max: 256.2)))
        #expect(both == "retries: −13 % client errors in postgres-outage (45 without it → 39 with it); it costs longest client wait (256.2 ms without it → 4022.5 ms with it)")
        let failed = Ablation.verdict(.watchdog, scenario: "wedged-process", designed: designed, without: .init(result: nil, error: "hook failed"))
        #expect(failed == "watchdog: the run without it did not complete (hook failed)")
    }
}
