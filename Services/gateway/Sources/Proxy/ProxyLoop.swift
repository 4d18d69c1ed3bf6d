import Metrics
import NIOCore
import NIOHTTP1
import Shared

/// The proxy's state on one event loop: its pool of upstream connections and
/// the metric handles its requests use, made once and then reused, so that a
/// request costs no registry lookup. Touched only on its loop: no lock.
final class ProxyLoop {
    /// The route label of every proxied request in `http_requests_total`.
    static let route = "/api/**"

    let pool: UpstreamPool
    /// Request ids, trace ids and backoff jitter of this loop's requests.
    var random = FastRandomNumberGenerator()
    private let metrics: GatewayMetrics
    /// Found by a short scan: `HTTPMethod` is not `Hashable`, and a loop sees few methods.
    private var methodMetrics: [MethodMetrics] = []
    private var attemptCounters: [AttemptKey: Counter] = [:]
    /// The storage the loop's heads are written into, one after the other:
    /// once a head has gone out it is free again, so in steady state a head
    /// costs no allocation (``ByteBuffer/clear(minimumCapacity:)`` allocates
    /// only while the last head is still being written).
    private var headBuffer = ByteBuffer()

    /// One method's duration timer and its request counter for each status seen.
    private final class MethodMetrics {
        let method: HTTPMethod
        let timer: Metrics.Timer
        private(set) var counters: [(status: Int, counter: Counter)] = []

        init(method: HTTPMethod, factory: any MetricsFactory) {
            self.method = method
            self.timer = Metrics.Timer(
                label: "http_request_duration_seconds", dimensions: [("route", ProxyLoop.route), ("method", method.rawValue)],
                preferredDisplayUnit: .seconds, factory: factory
            )
        }

        func addCounter(_ status: Int, factory: any MetricsFactory) -> Counter {
            let dimensions = [("route", ProxyLoop.route), ("method", self.method.rawValue), ("status", String(status))]
            let counter = Counter(label: "http_requests_total", dimensions: dimensions, factory: factory)
            self.counters.append((status, counter))
            return counter
        }
    }

    /// An endpoint by identity (no string hashed per request). The key holds
    /// its endpoint, so no other endpoint can take its address, and with it
    /// the counter labelled with this one's URL.
    private struct AttemptKey: Hashable {
        let endpoint: Endpoint
        let outcome: TryOutcome

        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.endpoint === rhs.endpoint && lhs.outcome == rhs.outcome
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(ObjectIdentifier(self.endpoint))
            hasher.combine(self.outcome)
        }
    }

    init(eventLoop: any EventLoop, metrics: GatewayMetrics, upstreamIdleTimeout: TimeAmount) {
        self.pool = UpstreamPool(eventLoop: eventLoop, maxIdlePerEndpoint: 64, idleTimeout: upstreamIdleTimeout)
        self.metrics = metrics
    }

    /// A head, written by `write` into the loop's head buffer.
    func head(_ write: (inout ByteBuffer) -> Void) -> ByteBuffer {
        self.startHead(write)
        return self.finishHead()
    }

    /// Writes a head into the loop's head buffer and keeps it there, so
    /// that what follows it in the same read can join it
    /// (``finishHead(appending:)``, before anything else on this loop
    /// writes a head).
    func startHead(_ write: (inout ByteBuffer) -> Void) {
        self.headBuffer.clear(minimumCapacity: 1024)
        write(&self.headBuffer)
    }

    /// The head begun by ``startHead(_:)``, with `bytes` after it: one
    /// buffer, so it goes out in one write rather than a vector of two.
    func finishHead(appending bytes: ByteBuffer? = nil) -> ByteBuffer {
        if let bytes { self.headBuffer.writeImmutableBuffer(bytes) }
        return self.headBuffer
    }

    /// `http_requests_total` and `http_request_duration_seconds` for one client request.
    func countRequest(method: HTTPMethod, status: Int, duration: Duration) {
        let handles = self.methodMetrics.first { $0.method == method } ?? self.addMethodMetrics(method)
        let counter = handles.counters.first { $0.status == status }?.counter ?? handles.addCounter(status, factory: self.metrics.telemetry.factory)
        counter.increment()
        handles.timer.record(duration: duration)
    }

    private func addMethodMetrics(_ method: HTTPMethod) -> MethodMetrics {
        let handles = MethodMetrics(method: method, factory: self.metrics.telemetry.factory)
        self.methodMetrics.append(handles)
        return handles
    }

    /// `gateway_upstream_attempts_total{endpoint,outcome}`.
    func countAttempt(endpoint: Endpoint, outcome: TryOutcome) {
        let key = AttemptKey(endpoint: endpoint, outcome: outcome)
        let counter =
            self.attemptCounters[key]
            ?? {
                let counter = self.metrics.attemptCounter(endpoint.url, outcome: outcome.label)
                self.attemptCounters[key] = counter
                return counter
            }()
        counter.increment()
    }
}
