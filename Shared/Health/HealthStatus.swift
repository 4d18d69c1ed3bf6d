/// The status of a check or of a whole service, as in the IETF draft
/// "Health Check Response Format for HTTP APIs": `pass`, `warn` or `fail`.
///
/// Statuses are ordered by severity (`pass < warn < fail`), so the status of a
/// group is the `max` of its members.
public enum HealthStatus: String, Sendable, Codable, Comparable, CaseIterable {
    case pass
    case warn
    case fail

    private var severity: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        }
    }

    public static func < (lhs: HealthStatus, rhs: HealthStatus) -> Bool {
        lhs.severity < rhs.severity
    }

    /// `true` when a service in this state should receive traffic (`pass` or `warn`).
    public var isServing: Bool { self != .fail }

    /// The worst of several statuses; `pass` when there are none.
    public static func worst(_ statuses: some Sequence<HealthStatus>) -> HealthStatus {
        statuses.max() ?? .pass
    }
}
