/// What one `resilience-demo --json FILE` run writes: every scenario's
/// result, and the scenarios that could not run, with why.
struct RunRecord: Codable, Sendable {
    var passed: Bool
    var scenarios: [ScenarioResult]
    var errors: [String: String]
}
