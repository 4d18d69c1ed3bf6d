#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The human-readable summary of a scenario, the table of a whole run, and the JSON file.
enum ReportPrinter {
    static func summary(_ result: ScenarioResult) -> String {
        let requests = result.requests
        let statuses = requests.byStatus.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let healed = result.faultRemovedAtMs.map { "none: over \($0 - result.faultInjectedAtMs) ms after it began, before any check could notice" }
        let detect = result.timeToDetectMs.map { "\($0) ms" } ?? (result.healedBeforeDetection ? healed ?? "none" : "none")
        let budget = result.detectionBudgetMs.map { " (budget \($0) ms)" } ?? " (not expected: nothing should notice)"
        var lines = [
            "-- \(result.scenario): summary",
            "requests       \(requests.total) (ok \(requests.ok), failed \(requests.failed)); reads \(requests.reads) (errors \(requests.readErrors)); writes \(requests.writes) (acknowledged \(requests.writesAcknowledged))",
            "by status      \(statuses)",
            "errors by cause \(Self.causes(requests.errorsByCause))",
            "errors span    \(Self.span(requests))",
            "latency        p50 \(result.latency.p50Ms) ms, p99 \(result.latency.p99Ms) ms, max \(result.latency.maxMs) ms (deadline \(result.settings.requestDeadlineMs) ms)",
            "time to detect \(detect)\(budget)\(result.detectedBy.map { ": \($0)" } ?? "")",
            "time to recover \(result.timeToRecoverMs.map { "\($0) ms after the fault's removal" } ?? "not recovered") (budget \(result.recoveryBudgetMs) ms)",
            "replicas back  \(Self.replicaRecovery(result.replicaRecoveryMs))",
            "client errors  \(result.clientErrorRatePercent) % of requests, reads \(result.readErrorRatePercent) %"
                + (result.gatewayRetries.map { "; gateway retries: \($0)" } ?? ""),
            "writes lost    \(result.writesLost.map(String.init) ?? "unknown") of \(requests.writesAcknowledged) acknowledged (looked up in PostgreSQL)",
        ]
        if let baseline = result.readP99BaselineMs {
            let during = result.readP99DuringFaultMs.map { "\($0) ms" } ?? "- (never detected)"
            let window = result.detectionBudgetMs == nil ? "during the fault" : "from its detection to its removal"
            lines.insert("read p99       before the fault \(baseline) ms; \(window) \(during)", at: 6)
        }
        if let overload = result.overload {
            lines.insert(
                "overload       sustainable \(overload.sustainableRate) req/s, offered \(overload.offeredRate) req/s: \(overload.requests) requests, "
                    + "\(overload.admitted) admitted (p99 \(overload.admittedP99Ms) ms), \(overload.shed) shed (p99 \(overload.shedP99Ms) ms, the gateway's own \(overload.shedGatewayP99Ms) ms), \(overload.otherErrors) other errors; "
                    + "retry amplification \(overload.retryAmplification.map { String($0) } ?? "?"); after it: p99 \(overload.afterP99Ms) ms, "
                    + "\(overload.afterErrors) errors (before: p99 \(overload.baselineP99Ms) ms)",
                at: lines.count - 1
            )
        }
        if let herd = result.herd {
            lines.insert(
                "herd           \(herd.requests) reads of \(herd.items) hot items in \(herd.durationMs) ms: \(herd.queries.map(String.init) ?? "?") PostgreSQL queries (bound \(herd.queryBound)), \(herd.failed) failed",
                at: lines.count - 1
            )
        }
        if let held = result.poolCallsOverBound {
            lines.insert(
                "data-api pools \(held) call(s) held a thread past their timeout; PostgreSQL pool wait mean \(result.postgresPoolMeanWaitMs ?? 0) ms",
                at: lines.count - 1
            )
        }
        if let restarted = result.restartedProcesses {
            lines.insert("restarted      \(restarted.isEmpty ? "no process" : restarted.joined(separator: ", "))", at: lines.count - 1)
        }
        if requests.poison > 0 {
            let others = requests.failed - requests.poisonFailed
            lines.insert("poison item    \(requests.poison) requests, \(requests.poisonFailed) failed; every other request: \(others) failed", at: 3)
        }
        lines.append("result         " + (result.passed ? "PASS" : "FAIL"))
        lines += result.failures.map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }

    /// "1432 ms (from 3120 ms to 4552 ms)": the outage clients saw, or "none".
    static func span(_ requests: ScenarioResult.Requests) -> String {
        guard let from = requests.errorsFromMs, let until = requests.errorsUntilMs else { return "none" }
        return "\(until - from) ms (from \(from) ms to \(until) ms)"
    }

    /// "dependency down: 34, deadline passed: 1", or "none".
    static func causes(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// "10.89.0.5:8081 310 ms, 10.89.0.6:8081 420 ms after the fault's removal".
    static func replicaRecovery(_ times: [String: Int]?) -> String {
        guard let times else { return "- (no removal)" }
        guard !times.isEmpty else { return "none passing at the end" }
        let each: [String] = times.sorted { $0.key < $1.key }.map { key, ms in "\(key) \(ms) ms" }
        return each.joined(separator: ", ") + " after the fault's removal"
    }

    static func table(_ results: [ScenarioResult], errors: [String: String]) -> String {
        func row(_ cells: [String]) -> String {
            zip(cells, [16, 7, 9, 9, 9, 9, 9, 10, 6]).map { String($0.prefix($1)) + String(repeating: " ", count: max(0, $1 - $0.count)) }.joined(separator: " ")
        }
        var lines = ["", "== resilience demos: summary", row(["scenario", "result", "requests", "errors%", "p50 ms", "p99 ms", "detect", "recover", "lost"])]
        for result in results {
            lines.append(
                row([
                    result.scenario, result.passed ? "PASS" : "FAIL", "\(result.requests.total)", "\(result.clientErrorRatePercent)",
                    "\(Int(result.latency.p50Ms))", "\(Int(result.latency.p99Ms))", result.timeToDetectMs.map { "\($0) ms" } ?? "-",
                    result.timeToRecoverMs.map { "\($0) ms" } ?? "-", result.writesLost.map(String.init) ?? "?",
                ])
            )
        }
        for (name, error) in errors.sorted(by: { $0.key < $1.key }) {
            lines.append(row([name, "ERROR", "-", "-", "-", "-", "-", "-", "-"]) + " " + error)
        }
        return lines.joined(separator: "\n")
    }

    static func writeJSON(_ results: [ScenarioResult], errors: [String: String], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let run = RunRecord(passed: errors.isEmpty && results.allSatisfy(\.passed), scenarios: results, errors: errors)
        try encoder.encode(run).write(to: URL(fileURLWithPath: path))
    }
}
