import Foundation
import Testing
import Shared

@testable import resilience_demo

@Suite struct ResilienceDemoTests {
    @Test func optionsNeedAScenarioAGatewayAndAHook() throws {
        #expect(try DemoOptions.parse(["--help"]) == nil)
        #expect(throws: DemoOptions.UsageError.self) { try DemoOptions.parse(["--gateway-url", "http://g", "--hook", "/h"]) }
        #expect(throws: DemoOptions.UsageError.self) { try DemoOptions.parse(["nope", "--gateway-url", "http://g", "--hook", "/h"]) }
        let all = try #require(try DemoOptions.parse(["all", "--gateway-url", "http://g/", "--hook", "/h", "--rate", "10"]))
        #expect(all.scenarios.map(\.name) == Scenario.all.map(\.name))
        #expect(all.gatewayURL == "http://g")
        #expect(all.rate == 10)
    }

    /// scripts/demo checks a scenario's name before it builds anything: its
    /// list is the driver's, in the same order.
    @Test func theEntryPointKnowsEveryScenario() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try String(contentsOf: root.appendingPathComponent("scripts/lib/demo/demo.sh"), encoding: .utf8)
        let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("DEMO_SCENARIOS=") })
        #expect(line.dropFirst("DEMO_SCENARIOS=".count).trimmingCharacters(in: ["\""]).split(separator: " ").map(String.init) == Scenario.all.map(\.name))
        for scenario in Scenario.all {
            #expect(script.contains("\n  \(scenario.name) "), "scripts/demo --help does not describe \(scenario.name)")
        }
    }

    /// compose restarted a killed replica in 0.19 s, before any check could
    /// fail (CI run 2): a fault over within the detection budget, with no
    /// client error, needs no detection; one that lasted longer, or that
    /// clients saw, does.
    @Test func aFaultOverBeforeAnyCheckCouldNoticeNeedsNoDetection() throws {
        let crash = try #require(Scenario.named("replica-crash"))
        func result(removedAfterMs: Int, failed: Int) -> ScenarioResult {
            var requests = ScenarioResult.Requests()
            requests.total = 100
            requests.failed = failed
            requests.ok = 100 - failed
            return ScenarioResult(
                scenario: crash.name, description: "", target: "compose", settings: StackSettings(), durationMs: 5000, requests: requests,
                latency: .init(p50Ms: 1, p99Ms: 5, maxMs: 10), faultInjectedAtMs: 3000, faultRemovedAtMs: 3000 + removedAfterMs, timeToDetectMs: nil,
                detectedBy: nil, detectionBudgetMs: 750, timeToRecoverMs: 0, replicaRecoveryMs: nil, clientErrorRatePercent: 0,
                readErrorRatePercent: 0, writesLost: 0, gatewayRetries: 2, timeline: []
            )
        }
        let undetected = "the fault was never detected (no health change, breaker or ejection)"
        #expect(!Expectations.failures(result(removedAfterMs: 192, failed: 0), scenario: crash).contains(undetected))
        #expect(ReportPrinter.summary(result(removedAfterMs: 192, failed: 0)).contains("none: over 192 ms after it began, before any check could notice"))
        #expect(Expectations.failures(result(removedAfterMs: 900, failed: 0), scenario: crash).contains(undetected))
        #expect(Expectations.failures(result(removedAfterMs: 192, failed: 1), scenario: crash).contains(undetected))
    }

    @Test func detectionBudgetsFollowTheSettings() {
        let settings = StackSettings.fromEnvironment([
            "HEALTH_INTERVAL_MS": "100", "HEALTH_TIMEOUT_MS": "400", "UPSTREAM_HEALTH_INTERVAL_MS": "200", "UPSTREAM_HEALTH_TIMEOUT_MS": "300",
        ])
        #expect(settings.detectionBudgetMs(.dependencyCheck) == 300)
        #expect(settings.detectionBudgetMs(.dependencyTimeout) == (100 + 400) * 2)
        #expect(settings.detectionBudgetMs(.upstreamRefused) == 600)
        #expect(settings.detectionBudgetMs(.upstreamTimeout) == 1500)
        #expect(settings.detectionBudgetMs(.requestTimeouts) == 2000 + 600)
        #expect(settings.detectionBudgetMs(.notExpected) == nil)
    }

    @Test func percentilesAndRequestCounts() {
        let samples = (1...100).map { LoadRecorder.Sample(atMs: 0, isWrite: $0 % 5 == 0, status: $0 == 7 ? 503 : 200, latencyMs: Double($0)) }
        let latency = ScenarioResult.Latency(samples)
        #expect(latency.p50Ms == 50 && latency.p99Ms == 99 && latency.maxMs == 100)
        let requests = ScenarioResult.Requests(samples, acknowledged: 20)
        #expect(requests.total == 100 && requests.failed == 1 && requests.readErrors == 1 && requests.writes == 20)
        #expect(requests.byStatus == ["200": 99, "503": 1])
        #expect(percent(1, of: 80) == 1.25)
    }

    /// A process is restarted when its identity is gone from the later
    /// listing; one entry per process, so two restarted replicas count twice.
    @Test func restartedProcessesByTheirService() {
        let before = StackProcesses(listing: "postgres postgres/101\ndata-api data-api-8081/102\ndata-api data-api-8082/103\ngateway gateway/104\n")
        let oneReplica = StackProcesses(listing: "postgres postgres/101\ndata-api data-api-8081/202\ndata-api data-api-8082/103\ngateway gateway/104")
        #expect(before.restarted(by: before) == [])
        #expect(before.restarted(by: oneReplica) == ["data-api"])
        let both = StackProcesses(listing: "postgres postgres/301\ndata-api data-api-8081/302\ndata-api data-api-8082/stopped\ngateway gateway/104")
        #expect(before.restarted(by: both) == ["data-api", "data-api", "postgres"])

        func failures(_ restarted: [String]?, _ scenario: String) -> [String] {
            var result = AblationTests.result(failed: 0)
            result.restartedProcesses = restarted
            return Expectations.failures(result, scenario: Scenario.named(scenario)!).filter { $0.contains("process") }
        }
        #expect(failures(["data-api"], "replica-crash").isEmpty)
        #expect(failures([], "replica-hang").isEmpty)
        #expect(failures(["data-api", "data-api"], "replica-crash") == ["processes restarted: data-api, data-api; the fault restarts one data-api process"])
        #expect(failures(["gateway"], "replica-hang") == ["processes restarted: gateway; the fault restarts none"])
        #expect(failures(nil, "replica-hang") == ["the stack's processes could not be listed (the fault hook's processes)"])
    }

    @Test func retriesAreSummedOverEverySeries() {
        let exposition = "# TYPE gateway_retries_total counter\ngateway_retries_total 3\ngateway_retries_total{x=\"y\"} 4\ngateway_retries_totalx 9\n"
        #expect(PrometheusText.sum("gateway_retries_total", in: exposition) == 7)
    }

    @Test func healthChangesNameTheCheckTheBreakerAndTheEjection() {
        func view(_ status: HealthStatus, upstream: HealthStatus, output: String? = nil, checks: [String: [HealthReport.CheckEntry]]? = nil, breaker: String) -> HealthView {
            let entry = HealthReport.CheckEntry(componentId: "http://a:1", status: upstream, output: output, checks: checks)
            let breakerEntry = HealthReport.CheckEntry(componentId: "http://a:1", status: .pass, output: breaker)
            let body = HealthReport(status: status, checks: ["upstream:responseTime": [entry], "upstream:circuitBreaker": [breakerEntry]])
            return HealthView(gateway: body, serviceReady: nil)
        }
        let baseline = view(.pass, upstream: .pass, breaker: "closed")
        let redisDown = view(.warn, upstream: .warn, checks: ["redis:responseTime": [.init(status: .fail)]], breaker: "closed")
        let events = HealthChanges.between(baseline, redisDown)
        #expect(events.contains { $0.0 == .healthDegraded && $0.1.contains("redis:responseTime fail") })

        let ejected = view(.warn, upstream: .fail, output: "ejected after consecutive errors", breaker: "open")
        let kinds = HealthChanges.between(baseline, ejected).map(\.0)
        #expect(kinds.contains(.endpointEjected) && kinds.contains(.breakerOpened))
        #expect(!ejected.isRecovered(comparedTo: baseline))
        #expect(HealthChanges.between(ejected, baseline).map(\.0).contains(.endpointReturned))
        #expect(baseline.isRecovered(comparedTo: baseline))
    }
}
