import Foundation
import Shared
import TestSupport
import Testing

@testable import Gateway
@testable import resilience_demo

/// The incident report (`resilience-demo --report`) in a real headless
/// Chromium: a recording of status events, encoded by the gateway's own
/// types, replayed by the report at any moment of the run.
@Suite struct IncidentReportTests {
    static let checks = ["disk:utilization", "memory:utilization", "postgres:responseTime", "redis:responseTime"]

    static func snapshot(at time: String, postgres: HealthStatus, requests: Int) -> StatusSnapshot {
        let replicas = ["replica-1", "replica-2"].map { name in
            StatusSnapshot.Replica(
                name: name, address: nil, status: postgres, breaker: "closed", ejected: false, responseTimeMilliseconds: 2.5,
                output: postgres == .fail ? "HTTP 503" : nil, checkedAt: time,
                checks: Self.checks.map { check in
                    let status: HealthStatus = check.hasPrefix("postgres") ? postgres : .pass
                    return StatusSnapshot.Check(
                        name: check, status: status, observedValue: 1.2, observedUnit: "ms", output: status == .fail ? "connection refused" : nil
                    )
                }
            )
        }
        let traffic = TrafficWindow.Summary(
            windowSeconds: 10, requests: requests, requestsPerSecond: Double(requests) / 10, serverErrors: 0, errorRate: 0, p99Milliseconds: 8
        )
        return StatusSnapshot(
            time: time, startedAt: "2026-12-03T08:00:00.000Z", status: postgres, gateway: [], replicas: replicas, traffic: traffic
        )
    }

    static func event(_ atMs: Int, _ name: String, _ value: some Encodable) throws -> StatusRecorder.Event {
        StatusRecorder.Event(atMs: atMs, event: name, data: String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
    }

    /// A postgres-outage run: pass, fault at 1000 ms, fail from 1500 ms, removal at 3000 ms, pass from 3500 ms, end at 5000 ms.
    static func report() throws -> IncidentReport {
        let down = [
            StatusTransition(time: "2026-12-03T08:00:11.500Z", subject: "gateway", from: "pass", to: "fail", fromDurationSeconds: 11.5, output: nil),
            StatusTransition(
                time: "2026-12-03T08:00:11.500Z", subject: "replica-1 postgres:responseTime", from: "pass", to: "fail", fromDurationSeconds: 11.5,
                output: "connection refused"
            ),
        ]
        let up = StatusTransition(time: "2026-12-03T08:00:13.500Z", subject: "gateway", from: "fail", to: "pass", fromDurationSeconds: 2, output: nil)
        let status = [
            try Self.event(0, "history", [StatusTransition]()),
            try Self.event(0, "status", Self.snapshot(at: "2026-12-03T08:00:10.000Z", postgres: .pass, requests: 7)),
            try Self.event(1500, "transition", down[0]), try Self.event(1500, "transition", down[1]),
            try Self.event(1500, "status", Self.snapshot(at: "2026-12-03T08:00:11.500Z", postgres: .fail, requests: 21)),
            try Self.event(3500, "transition", up),
            try Self.event(3500, "status", Self.snapshot(at: "2026-12-03T08:00:13.500Z", postgres: .pass, requests: 35)),
        ]
        let samples = (0..<100).map { index in
            LoadRecorder.Sample(atMs: index * 50, isWrite: index % 5 == 0, status: (1500..<3000).contains(index * 50) && index % 2 == 0 ? 503 : 200, latencyMs: 5)
        }
        let timeline = [
            Timeline.Event(atMs: 1000, kind: .faultInjected, text: "FAULT INJECTED: PostgreSQL stops"),
            Timeline.Event(atMs: 1500, kind: .healthDegraded, text: "gateway /health: pass -> fail"),
            Timeline.Event(atMs: 3000, kind: .faultRemoved, text: "FAULT REMOVED"),
            Timeline.Event(atMs: 3500, kind: .healthRecovered, text: "gateway /health: fail -> pass"),
        ]
        let result = ScenarioResult(
            scenario: "postgres-outage", description: "PostgreSQL stops", target: "local", settings: StackSettings.fromEnvironment([:]),
            durationMs: 5000, requests: .init(samples, acknowledged: 20), latency: .init(samples), faultInjectedAtMs: 1000, faultRemovedAtMs: 3000,
            timeToDetectMs: 500, detectedBy: "gateway /health: pass -> fail", detectionBudgetMs: 600, timeToRecoverMs: 500, replicaRecoveryMs: [:],
            clientErrorRatePercent: 15, readErrorRatePercent: 15, writesLost: 0, gatewayRetries: 3, timeline: timeline
        )
        return IncidentReport(
            generatedAt: "2026-12-03T08:00:15.000Z",
            scenarios: [IncidentReport.Scenario(result: result, status: status, load: IncidentReport.slices(samples, durationMs: 5000))]
        )
    }

    @Test func slicesCountRequestsAndErrorsPerHalfSecond() {
        let samples = [
            LoadRecorder.Sample(atMs: 10, isWrite: false, status: 200, latencyMs: 3), LoadRecorder.Sample(atMs: 499, isWrite: false, status: nil, latencyMs: 9),
            LoadRecorder.Sample(atMs: 1200, isWrite: true, status: 503, latencyMs: 4),
        ]
        #expect(
            IncidentReport.slices(samples, durationMs: 1400) == [
                .init(atMs: 0, requests: 2, errors: 1, p99Ms: 9), .init(atMs: 500, requests: 0, errors: 0, p99Ms: nil),
                .init(atMs: 1000, requests: 1, errors: 1, p99Ms: 4),
            ]
        )
    }

    @Test func theRecordingIsEmbeddedSoNothingInItEndsTheElement() throws {
        var report = try Self.report()
        report.scenarios[0].result.failures = ["</script><script>alert(1)</script>"]
        let html = try report.html()
        #expect(html.components(separatedBy: "</script>").count == 3, "the replay element and the page's script, each closed once")
        #expect(html.contains(#"<script type="application/json" id="replay">"#))
    }

    /// What the report shows, read from its DOM.
    struct Shown: Decodable {
        var overall: String
        var mode: String
        var connection: String
        var history: [String]
        var postgres: [String]
        var requests: String
        var marks: [String]
        var result: String
        var timeline: Int
    }

    static let readShown = """
        JSON.stringify({
          overall: document.getElementById('overall').dataset.status,
          mode: document.body.dataset.mode || '',
          connection: document.getElementById('connection').dataset.state,
          history: [...document.querySelectorAll('#history li')].map((item) => item.dataset.subject + ' ' + item.dataset.to),
          postgres: [...document.querySelectorAll('[data-replica] tr[data-check="postgres:responseTime"]')].map((row) => row.dataset.status),
          requests: document.getElementById('requests').textContent,
          marks: [...document.querySelectorAll('#replay-chart [data-mark]')].map((mark) => mark.dataset.mark),
          result: document.querySelector('#replay-summary [data-field=result] .badge').dataset.status,
          timeline: document.querySelectorAll('#replay-timeline li').length,
        })
        """

    static func shown(_ page: ChromiumPage, at atMs: Int) async throws -> Shown {
        let script = "(() => { const s = document.getElementById('scrubber'); s.value = '\(atMs)'; s.dispatchEvent(new Event('input')); return \(Self.readShown); })()"
        guard let json = try await page.evaluate(script) as? String else { throw TestServerError("the report returned nothing") }
        return try JSONDecoder().decode(Shown.self, from: Data(json.utf8))
    }

    @Test func theReportReplaysTheRecordedTransitionsInChromium() async throws {
        let directory = ProcessInfo.processInfo.environment["STATUS_SCREENSHOT_DIR"] ?? NSTemporaryDirectory() + "status-page-screenshots"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/incident-report.html"
        try Self.report().write(to: path)
        let page = try await ChromiumPage(url: "file://" + path)
        try await waitUntil("the report is rendered") { try await page.evaluate("document.body.dataset.mode === 'replay'") as? Bool == true }

        let before = try await Self.shown(page, at: 1000)
        #expect(before.mode == "replay" && before.connection == "replay")
        #expect(before.overall == "pass" && before.postgres == ["pass", "pass"] && before.requests == "7")
        #expect(before.history.isEmpty)
        #expect(before.marks == ["fault-injected", "fault-removed"])
        #expect(before.result == "pass" && before.timeline == 4)

        let during = try await Self.shown(page, at: 2000)
        #expect(during.overall == "fail" && during.postgres == ["fail", "fail"] && during.requests == "21")
        #expect(during.history == ["replica-1 postgres:responseTime fail", "gateway fail"])

        let after = try await Self.shown(page, at: 5000)
        #expect(after.overall == "pass" && after.postgres == ["pass", "pass"])
        #expect(after.history == ["gateway pass", "replica-1 postgres:responseTime fail", "gateway fail"])
        try await page.screenshot(to: directory + "/incident-report.png")
    }
}
