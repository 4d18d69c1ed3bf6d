/// One change in the history timeline of the status page: `subject` (e.g.
/// `gateway`, `replica-1`, `replica-1 breaker`, `replica-1 postgres:responseTime`)
/// went from `from` to `to` at `time`, after `fromDurationSeconds` in `from`.
struct StatusTransition: Codable, Equatable, Sendable {
    var time: String
    var subject: String
    var from: String
    var to: String
    /// How long the subject was in `from` (since it was first seen, for its first change).
    var fromDurationSeconds: Double
    /// The cause reported with the new state, if any (never a secret).
    var output: String?
}
