import Synchronization

/// Fault injection for the resilience demos, off by default: the share of
/// `/api/*` requests answered 500, a latency added to each, and one path
/// that always fails (a poison request).
final class ChaosSettings: Sendable {
    struct Values: Sendable, Codable, Equatable {
        /// 0...1.
        var errorRate: Double
        /// 0...60000.
        var latencyMs: Int
        /// Every request to exactly this path (`/api/...`, no query) is
        /// answered 500; `nil`: none.
        var failPath: String? = nil

        static let off = Values(errorRate: 0, latencyMs: 0)
        static let errorRateRange = 0.0...1.0
        static let latencyRange = 0...60_000
        static let failPathMaxLength = 256
    }

    private let values: Mutex<Values>

    init(_ values: Values) {
        self.values = Mutex(values)
    }

    var current: Values {
        get { self.values.withLock { $0 } }
        set { self.values.withLock { $0 = newValue } }
    }
}
