import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Shared

/// Builds the gateway exactly as production runs it; tests call this too.
public func buildApplication(_ configuration: GatewayConfiguration, logger: Logger) -> some ApplicationProtocol {
    GatewayParts(configuration, logger: logger).application
}

/// The gateway's pieces, wired together. Services in start order (shutdown is
/// the reverse): endpoint set (DNS), own health monitor,
/// upstream poller, then the HTTP server.
struct GatewayParts {
    let health: HealthEndpoints
    let endpoints: EndpointSet
    /// The routes registered (405 and OPTIONS completions aside): the drift
    /// test compares them with docs/openapi.yaml.
    let routes: [Router<GatewayRequestContext>.RouteDescription]
    let application: Application<RouterResponder<GatewayRequestContext>>

    init(_ configuration: GatewayConfiguration, logger: Logger) {
        let telemetry = Telemetry()
        let metrics = GatewayMetrics(telemetry: telemetry)
        let lifecycle = LifecycleState()
        // The upstream health poller and the webhook call out with their own
        // small client; client requests go through the proxy (``ProxyHandler``).
        let client = OutboundClient(group: MultiThreadedEventLoopGroup.singleton, connectTimeout: configuration.connectTimeout.timeAmount)
        let endpoints = EndpointSet(configuration: configuration, logger: logger)
        let monitor = HealthMonitor(
            serviceId: "gateway",
            checks: configuration.systemChecks.checks,
            configuration: HealthMonitorConfiguration(interval: .seconds(5)),
            telemetry: telemetry,
            logger: logger
        )
        let health = GatewayHealth(endpoints: endpoints, monitor: monitor)
        let webhook = HealthWebhook(url: configuration.webhookURL, client: client, logger: logger)
        let traffic = TrafficWindow()
        let status = StatusFeed(
            health: health, traffic: traffic, maxViewers: configuration.statusMaxViewers, showAddresses: configuration.statusShowAddresses
        )
        let poller = UpstreamHealthPoller(
            endpoints: endpoints, client: client, configuration: configuration, metrics: metrics, logger: logger, lifecycle: lifecycle,
            afterRound: {
                webhook.observe(health.report().status)
                status.publish()
            }
        )
        // The status page's traffic figures: client requests (/api/*) only.
        let proxy = ProxyEngine(endpoints: endpoints, configuration: configuration, metrics: metrics, logger: logger) { code, duration in
            traffic.record(status: code, duration: duration)
        }

        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestMetricsMiddleware(telemetry: telemetry))
        router.add(middleware: ProblemMiddleware())
        let healthEndpoints = HealthEndpoints(
            monitor: monitor, lifecycle: lifecycle, telemetry: telemetry,
            aggregateReport: { health.report() },
            readinessGate: {
                guard configuration.readyRequiresUpstream else { return nil }
                return endpoints.all.contains { $0.snapshot.available } ? nil : "no healthy upstream"
            }
        )
        healthEndpoints.register(on: router)
        OpenAPIDocument.register(on: router)
        StatusPage.register(on: router, feed: status)
        self.routes = router.routes
        router.addMethodNotAllowedRoutes()

        self.health = healthEndpoints
        self.endpoints = endpoints
        self.application = Application(
            router: router,
            server: EdgeHTTP1Channel.server(configuration.edge, proxy: proxy),
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "gateway"),
            services: [endpoints, monitor, poller],
            logger: logger
        )
    }
}
