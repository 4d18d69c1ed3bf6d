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
    private var requestCounters: [RequestKey: Counter] = [:]
    private var durationTimers: [String: Metrics.Timer] = [:]
    private var attemptCounters: [AttemptKey: Counter] = [:]
    /// The storage the loop's heads are written into, one after the other:
    /// once a head has gone out it is free again, so in steady state a head
    /// costs no allocation (``ByteBuffer/clear(minimumCapacity:)`` allocates
    /// only while the last head is still being written).
    private var headBuffer = ByteBuffer()

    private struct RequestKey: Hashable {
        var method: String
        var status: Int
    }

    private struct AttemptKey: Hashable {
        var endpoint: String
        var outcome: String
    }

    init(eventLoop: any EventLoop, metrics: GatewayMetrics, upstreamIdleTimeout: TimeAmount) {
        self.pool = UpstreamPool(eventLoop: eventLoop, maxIdlePerEndpoint: 64, idleTimeout: upstreamIdleTimeout)
        self.metrics = metrics
    }

    /// A head, written by `write` into the loop's head buffer.
    func head(_ write: (inout ByteBuffer) -> Void) -> ByteBuffer {
        self.headBuffer.clear(minimumCapacity: 1024)
        write(&self.headBuffer)
        return self.headBuffer
    }

    /// `http_requests_total` and `http_request_duration_seconds` for one client request.
    func countRequest(method: HTTPMethod, status: Int, duration: Duration) {
        let name = method.rawValue
        let key = RequestKey(method: name, status: status)
        let counter =
            self.requestCounters[key]
            ?? {
                let dimensions = [("route", Self.route), ("method", name), ("status", String(status))]
                let counter = Counter(label: "http_requests_total", dimensions: dimensions, factory: self.metrics.telemetry.factory)
                self.requestCounters[key] = counter
                return counter
            }()
        counter.increment()
        let timer =
            self.durationTimers[name]
            ?? {
                let timer = Metrics.Timer(
                    label: "http_request_duration_seconds", dimensions: [("route", Self.route), ("method", name)],
                    preferredDisplayUnit: .seconds, factory: self.metrics.telemetry.factory
                )
                self.durationTimers[name] = timer
                return timer
            }()
        timer.record(duration: duration)
    }

    /// `gateway_upstream_attempts_total{endpoint,outcome}`.
    func countAttempt(endpoint: String, outcome: String) {
        let key = AttemptKey(endpoint: endpoint, outcome: outcome)
        let counter =
            self.attemptCounters[key]
            ?? {
                let counter = self.metrics.attemptCounter(endpoint, outcome: outcome)
                self.attemptCounters[key] = counter
                return counter
            }()
        counter.increment()
    }
}
