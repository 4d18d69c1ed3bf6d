#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The incident report of a demo run (`--report FILE`): one self-contained
/// HTML file, the gateway's status page (the same file, built in) with the
/// run's recording embedded as JSON, which the page replays instead of
/// connecting: the status page as it was at any moment (a scrubber), the
/// client error rate and p99 over time with the fault's injection and
/// removal, the demo's timeline and its summary.
struct IncidentReport: Encodable, Sendable {
    /// One scenario's recording.
    struct Scenario: Encodable, Sendable {
        var result: ScenarioResult
        /// What the gateway's `/health/events` sent (see ``StatusRecorder``).
        var status: [StatusRecorder.Event]
        /// The client load in slices of ``sliceMs``.
        var load: [LoadSlice]
    }

    /// The requests that started in one slice of the run.
    struct LoadSlice: Encodable, Equatable, Sendable {
        var atMs: Int
        var requests: Int
        var errors: Int
        var p99Ms: Double?
    }

    static let sliceMs = 500

    var generatedAt: String
    var scenarios: [Scenario]

    /// The samples in slices of `sliceMs` from 0 to `durationMs` (empty slices included).
    static func slices(_ samples: [LoadRecorder.Sample], durationMs: Int) -> [LoadSlice] {
        let grouped = Dictionary(grouping: samples) { $0.atMs / Self.sliceMs }
        return (0...max(0, durationMs / Self.sliceMs)).map { index in
            let slice = grouped[index] ?? []
            return LoadSlice(
                atMs: index * Self.sliceMs, requests: slice.count, errors: slice.filter { !$0.ok }.count,
                p99Ms: slice.isEmpty ? nil : ScenarioResult.Latency(slice).p99Ms
            )
        }
    }

    /// The page with the recording in `<script type="application/json" id="replay">`.
    func html() throws -> String {
        let template = String(decoding: StatusPageTemplate.html, as: UTF8.self)
        guard let script = template.firstRange(of: "\n<script>\n") else { throw ReportError(description: "the status page has no script to replay with") }
        // JSON escapes "/" already; "<" too, so nothing in the data can end the element.
        let json = String(decoding: try JSONEncoder().encode(self), as: UTF8.self).replacing("<", with: "\\u003c")
        var page = template
        page.replaceSubrange(script, with: "\n<script type=\"application/json\" id=\"replay\">\(json)</script>\n<script>\n")
        return page
    }

    func write(to path: String) throws {
        try Data(try self.html().utf8).write(to: URL(fileURLWithPath: path))
    }

    struct ReportError: Error, CustomStringConvertible {
        let description: String
    }
}
