import Logging
import ServiceLifecycle

/// The first service to hear a graceful shutdown: marks the lifecycle
/// `draining` at once (readiness → 503), then waits `delay` so load balancers
/// notice before the HTTP server stops accepting connections.
///
/// Place it *last* in the `ServiceGroup`: services shut down in reverse order,
/// so it runs before the HTTP server, which then finishes in-flight requests.
public struct DrainService: Service {
    let lifecycle: LifecycleState
    let delay: Duration
    let logger: Logger

    public init(lifecycle: LifecycleState, delay: Duration, logger: Logger) {
        self.lifecycle = lifecycle
        self.delay = delay
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        self.lifecycle.markDraining()
        self.logger.notice("shutdown requested: draining", metadata: ["drain_delay_ms": "\(Int(self.delay.milliseconds))"])
        if self.delay > .zero {
            try? await Task.sleep(for: self.delay)
        }
    }
}
