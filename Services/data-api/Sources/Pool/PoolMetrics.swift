import Metrics
import Shared

/// What a ``BlockingConnectionPool`` reports on /metrics, labelled
/// `pool="postgres"` or `pool="redis"`:
/// - `datastore_pool_wait_seconds`: how long each acquire waited for a
///   connection, the waits that timed out included;
/// - `datastore_call_duration_seconds{kind="connect"|"call"}`: how long each
///   blocking call held its thread;
/// - `datastore_calls_over_bound_total{kind}`: the calls that held it past
///   what the client's own timeouts promise (connect: the connect timeout;
///   call: one query's or command's timeout). It should stay 0: a silent
///   partition must not hold a pool thread longer than the settings say.
struct PoolMetrics: Sendable {
    enum Kind: String, Sendable {
        case connect
        case call
    }

    /// Bounds as the client's settings promise them.
    let connectBound: Duration
    let callBound: Duration
    private let wait: Timer
    private let connectDuration: Timer
    private let callDuration: Timer
    private let connectsOverBound: Counter
    private let callsOverBound: Counter

    /// Scheduling allowance over a bound: a poll that ends at its deadline
    /// returns a little after it.
    static let slack = Duration.milliseconds(250)

    init(pool: String, connectBound: Duration, callBound: Duration, telemetry: Telemetry) {
        self.connectBound = connectBound
        self.callBound = callBound
        func timer(_ label: String, _ dimensions: [(String, String)]) -> Timer {
            Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds, factory: telemetry.factory)
        }
        self.wait = timer("datastore_pool_wait_seconds", [("pool", pool)])
        self.connectDuration = timer("datastore_call_duration_seconds", [("pool", pool), ("kind", Kind.connect.rawValue)])
        self.callDuration = timer("datastore_call_duration_seconds", [("pool", pool), ("kind", Kind.call.rawValue)])
        self.connectsOverBound = Counter(
            label: "datastore_calls_over_bound_total", dimensions: [("pool", pool), ("kind", Kind.connect.rawValue)], factory: telemetry.factory
        )
        self.callsOverBound = Counter(
            label: "datastore_calls_over_bound_total", dimensions: [("pool", pool), ("kind", Kind.call.rawValue)], factory: telemetry.factory
        )
    }

    func waited(_ duration: Duration) {
        self.wait.recordNanoseconds(duration.timeAmount.nanoseconds)
    }

    func called(_ kind: Kind, for duration: Duration) {
        switch kind {
        case .connect:
            self.connectDuration.recordNanoseconds(duration.timeAmount.nanoseconds)
            if duration > self.connectBound + Self.slack { self.connectsOverBound.increment() }
        case .call:
            self.callDuration.recordNanoseconds(duration.timeAmount.nanoseconds)
            if duration > self.callBound + Self.slack { self.callsOverBound.increment() }
        }
    }
}
