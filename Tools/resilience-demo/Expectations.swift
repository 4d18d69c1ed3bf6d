/// The demo's pass criteria; each failure is one readable line.
enum Expectations {
    static let readErrorLimitPercent = 0.1
    static func failures(_ result: ScenarioResult, scenario: Scenario) -> [String] {
        var failures: [String] = []
        if let lost = result.writesLost, lost > 0 {
            failures.append("\(lost) acknowledged write(s) lost")
        } else if result.writesLost == nil {
            failures.append("acknowledged writes could not be checked in PostgreSQL")
        }
        let limit = Double(result.settings.requestDeadlineMs + result.settings.deadlineSlackMs)
        if result.latency.maxMs > limit {
            failures.append(
                "a client waited \(Int(result.latency.maxMs)) ms, past the gateway's \(result.settings.requestDeadlineMs) ms deadline (+\(result.settings.deadlineSlackMs) ms slack)"
            )
        }
        if let budget = result.detectionBudgetMs {
            if let detect = result.timeToDetectMs {
                if detect > budget { failures.append("detected after \(detect) ms, over the \(budget) ms detection budget") }
            } else if !result.healedBeforeDetection {
                failures.append("the fault was never detected (no health change, breaker or ejection)")
            }
        }
        if let recover = result.timeToRecoverMs {
            if recover > result.recoveryBudgetMs { failures.append("recovered \(recover) ms after the fault's removal, over \(result.recoveryBudgetMs) ms") }
        } else {
            failures.append("no recovery within \(result.recoveryBudgetMs) ms of the fault's removal")
        }
        if let unattributed = result.requests.errorsByCause["unattributed"] {
            failures.append("\(unattributed) client-visible error(s) with no cause the answer names; the first: \(result.requests.firstUnattributed ?? "?")")
        }
        if let restarted = result.restartedProcesses {
            let expected = scenario.restarts.map { [$0] } ?? []
            if restarted.count > expected.count || restarted.contains(where: { !expected.contains($0) }) {
                failures.append(
                    "processes restarted: \(restarted.joined(separator: ", ")); the fault restarts \(scenario.restarts.map { "one \($0) process" } ?? "none")"
                )
            }
        } else {
            failures.append("the stack's processes could not be listed (the fault hook's processes)")
        }
        if scenario.poisonsOneItem {
            let others = result.requests.failed - result.requests.poisonFailed
            if others > 0 { failures.append("\(others) request(s) other than the poison item's failed") }
            if result.requests.poisonFailed == 0 { failures.append("no request for the poison item failed: the fault was not in place") }
            let judged = result.timeline.first { [.breakerOpened, .endpointEjected].contains($0.kind) && $0.atMs >= result.faultInjectedAtMs }
            if let event = judged {
                failures.append("the poison request judged a replica: \(event.text)")
            }
        }
        if scenario.network != nil {
            if let held = result.poolCallsOverBound {
                if held > 0 { failures.append("\(held) data-api pool call(s) held a thread past the connect or statement timeout") }
            } else {
                failures.append("data-api's pool counters could not be read (--replica-urls; or a replica restarted)")
            }
        }
        if scenario.overload {
            if let overload = result.overload {
                failures += Overload.failures(overload, settings: result.settings)
            } else {
                failures.append("the overload was not measured")
            }
        }
        if scenario.coldCacheHerd {
            if let herd = result.herd, let queries = herd.queries {
                if queries > herd.queryBound {
                    failures.append("the herd's \(herd.requests) reads cost \(queries) PostgreSQL queries, over \(herd.queryBound) (2 per item and replica)")
                }
                if herd.failed > 0 { failures.append("\(herd.failed) of the herd's reads failed") }
            } else {
                failures.append("the herd's PostgreSQL queries could not be counted")
            }
        }
        if scenario.comparesReadLatency, let during = result.readP99DuringFaultMs, during >= Double(result.settings.redisCommandTimeoutMs) {
            failures.append(
                "reads paid Redis's \(result.settings.redisCommandTimeoutMs) ms command timeout after the check had failed: read p99 \(during) ms (baseline \(result.readP99BaselineMs ?? 0) ms)"
            )
        }
        if scenario.readsMustSucceed, result.readErrorRatePercent > Self.readErrorLimitPercent {
            failures.append("client-visible read errors \(result.readErrorRatePercent) % > \(Self.readErrorLimitPercent) %")
        }
        return failures
    }
}
