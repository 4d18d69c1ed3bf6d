/// Why `/health/ready` answers 503; its `output` is the body's `output`.
public enum NotReadyReason: Sendable, Equatable {
    /// Start-up work is not done yet.
    case starting
    /// Shutdown began.
    case draining
    /// A critical check is `fail` (the full report says which).
    case criticalCheckFailing
    /// The service's own extra condition, e.g. the gateway's `no healthy upstream`.
    case unmet(String)

    public var output: String {
        switch self {
        case .starting: "starting"
        case .draining: "draining"
        case .criticalCheckFailing: "critical check failing"
        case .unmet(let condition): condition
        }
    }
}
