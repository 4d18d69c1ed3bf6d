import Logging
import NIOCore
import Shared
import Synchronization

/// What every client connection's proxy shares: settings, endpoints, metrics
/// and the requests and retries in flight (for the retry budget). Each event
/// loop gets its own ``ProxyLoop`` (upstream connections, metric handles),
/// looked up once per client connection, never per request.
final class ProxyEngine: Sendable {
    let endpoints: EndpointSet
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    /// Hears each client request's status and duration (the status page's traffic).
    let observe: @Sendable (_ status: Int, _ duration: Duration) -> Void
    /// Logs each failed try at debug level (what failed, never the request's content).
    let logger: Logger
    let counters = Counters()
    private let loops = Loops()

    init(endpoints: EndpointSet, configuration: GatewayConfiguration, metrics: GatewayMetrics, logger: Logger, observe: @escaping @Sendable (_ status: Int, _ duration: Duration) -> Void) {
        self.endpoints = endpoints
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.observe = observe
    }

    final class Counters: Sendable {
        let activeRequests = Atomic<Int>(0)
        let activeRetries = Atomic<Int>(0)
    }

    private final class Loops: Sendable {
        let byLoop = Mutex<[ObjectIdentifier: NIOLoopBound<ProxyLoop>]>([:])
    }

    /// The state of `eventLoop`; call on that loop.
    func loop(_ eventLoop: any EventLoop) -> ProxyLoop {
        eventLoop.assertInEventLoop()
        let key = ObjectIdentifier(eventLoop)
        return self.loops.byLoop.withLock { loops in
            if let bound = loops[key] { return bound.value }
            let loop = ProxyLoop(eventLoop: eventLoop, metrics: self.metrics, upstreamIdleTimeout: self.configuration.upstreamIdleTimeout.timeAmount)
            loops[key] = NIOLoopBound(loop, eventLoop: eventLoop)
            return loop
        }
    }

    /// Whether the retry budget lets one more retry start; counts the outcome.
    func budgetAllowsRetry() -> Bool {
        let active = self.counters.activeRequests.load(ordering: .relaxed)
        let retries = self.counters.activeRetries.load(ordering: .relaxed)
        guard self.configuration.retryBudget.allowsRetry(activeRequests: active, activeRetries: retries) else {
            self.metrics.retryBudgetExhausted()
            return false
        }
        self.metrics.retry()
        return true
    }
}
