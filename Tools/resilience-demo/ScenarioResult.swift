#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything one scenario measured; printed as the summary and written as JSON.
struct ScenarioResult: Codable, Sendable {
    struct Requests: Codable, Sendable {
        var total = 0
        var ok = 0
        var failed = 0
        var reads = 0
        var readErrors = 0
        var writes = 0
        var writesAcknowledged = 0
        /// Count per HTTP status; "error" for a transport error or client timeout.
        var byStatus: [String: Int] = [:]
        /// Failed requests per cause (``ErrorCause``); "unattributed" for
        /// those whose answer names none.
        var errorsByCause: [String: Int] = [:]
        /// What the first unattributed failure got.
        var firstUnattributed: String?
        /// Requests for the poison item, and those of them that failed.
        var poison = 0
        var poisonFailed = 0
        /// The outage clients saw: from the first failed request's start to
        /// the last one's end (ms since the run began); `nil` with no failure.
        var errorsFromMs: Int?
        var errorsUntilMs: Int?
    }

    struct Latency: Codable, Sendable {
        var p50Ms: Double
        var p99Ms: Double
        var maxMs: Double
    }

    var scenario: String
    var description: String
    var target: String
    var settings: StackSettings
    /// How soon after the fault's removal the stack must be back (``Scenario/recoveryBudgetMs``).
    var recoveryBudgetMs = Scenario.defaultRecoveryBudgetMs
    var durationMs: Int
    var requests: Requests
    var latency: Latency
    var faultInjectedAtMs: Int
    var faultRemovedAtMs: Int?
    var timeToDetectMs: Int?
    var detectedBy: String?
    var detectionBudgetMs: Int?
    var timeToRecoverMs: Int?
    /// Per upstream (as the gateway names it): time from the fault's removal
    /// until it passed again (0 when it passed all along); absent for those
    /// not passing at the end of the run.
    var replicaRecoveryMs: [String: Int]?
    var clientErrorRatePercent: Double
    var readErrorRatePercent: Double
    /// Network faults: read p99 before the fault, and from its detection
    /// (from its injection when nothing has to notice it) to its removal;
    /// `nil` when it was to be noticed and was not.
    var readP99BaselineMs: Double?
    var readP99DuringFaultMs: Double?
    /// data-api's pool calls that held a thread past their bound during the
    /// run, over every replica; `nil` when not read (no --replica-urls, or a
    /// replica restarted).
    var poolCallsOverBound: Int?
    /// The mean wait for a PostgreSQL connection during the run.
    var postgresPoolMeanWaitMs: Double?
    /// The cold-cache herd, for that scenario.
    var herd: Herd.Result?
    /// The overload, for that scenario.
    var overload: Overload.Result?
    var writesLost: Int?
    /// Retries the gateway made during the run (from its /metrics).
    var gatewayRetries: Int?
    /// The services of the processes restarted from the fault's injection
    /// to the recovery (``StackProcesses``); `nil` when the hook could not
    /// list them.
    var restartedProcesses: [String]?
    var timeline: [Timeline.Event]
    var failures: [String] = []
    var passed = true
}

extension ScenarioResult {
    /// Nothing noticed the fault because it was over first: removed (the
    /// process restarted) within the detection budget, with no client error.
    /// A restart faster than the checks' window (compose restarts a killed
    /// container in ~0.2 s) leaves them nothing to detect.
    var healedBeforeDetection: Bool {
        guard self.timeToDetectMs == nil, let budget = self.detectionBudgetMs, let removedAt = self.faultRemovedAtMs else { return false }
        return removedAt - self.faultInjectedAtMs <= budget && self.requests.failed == 0
    }
}

extension ScenarioResult.Requests {
    init(_ samples: [LoadRecorder.Sample], acknowledged: Int) {
        self.init()
        for sample in samples {
            self.total += 1
            self.byStatus[sample.status.map(String.init) ?? "error", default: 0] += 1
            if sample.isPoison {
                self.poison += 1
                if !sample.ok { self.poisonFailed += 1 }
            }
            if sample.ok {
                self.ok += 1
            } else {
                self.failed += 1
                self.errorsFromMs = min(self.errorsFromMs ?? .max, sample.atMs)
                self.errorsUntilMs = max(self.errorsUntilMs ?? .min, sample.atMs + Int(sample.latencyMs))
                self.errorsByCause[sample.cause?.rawValue ?? "unattributed", default: 0] += 1
                if sample.cause == nil, self.firstUnattributed == nil { self.firstUnattributed = sample.answer }
            }
            if sample.isWrite {
                self.writes += 1
            } else {
                self.reads += 1
                if !sample.ok { self.readErrors += 1 }
            }
        }
        self.writesAcknowledged = acknowledged
    }
}

extension ScenarioResult.Latency {
    init(_ samples: [LoadRecorder.Sample]) {
        self.init(milliseconds: samples.map(\.latencyMs))
    }

    init(milliseconds: [Double]) {
        let sorted = milliseconds.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
            return (sorted[index] * 10).rounded() / 10
        }
        self.init(p50Ms: percentile(0.5), p99Ms: percentile(0.99), maxMs: ((sorted.last ?? 0) * 10).rounded() / 10)
    }
}

/// A share as a percentage with three decimals.
func percent(_ part: Int, of whole: Int) -> Double {
    whole == 0 ? 0 : (Double(part) * 100_000 / Double(whole)).rounded() / 1000
}
