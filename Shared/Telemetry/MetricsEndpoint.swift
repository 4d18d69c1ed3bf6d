import Hummingbird

/// `GET /metrics`: a service's ``Telemetry`` in the Prometheus text format.
public struct MetricsEndpoint: Sendable {
    public let telemetry: Telemetry
    /// Runs before each scrape, to set what is measured at scrape time
    /// (``HealthEndpoints`` sets `health_ready` here).
    public let beforeScrape: @Sendable () -> Void

    public init(telemetry: Telemetry, beforeScrape: @escaping @Sendable () -> Void = {}) {
        self.telemetry = telemetry
        self.beforeScrape = beforeScrape
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { _, _ in
            self.beforeScrape()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.telemetry.exposition()))
            )
        }
    }
}
