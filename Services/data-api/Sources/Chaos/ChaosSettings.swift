import Synchronization

/// Fault injection for the resilience demos, off by default: the share of
/// `/api/*` requests answered 500 and a latency added to each.
final class ChaosSettings: Sendable {
    struct Values: Sendable, Codable, Equatable {
        /// 0...1.
        var errorRate: Double
        /// 0...60000.
        var latencyMs: Int

        static let off = Values(errorRate: 0, latencyMs: 0)
        static let errorRateRange = 0.0...1.0
        static let latencyRange = 0...60_000
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
