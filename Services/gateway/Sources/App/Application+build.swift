import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// Builds the gateway exactly as production runs it; tests call this too.
public func buildApplication(_ configuration: GatewayConfiguration, logger: Logger) -> some ApplicationProtocol {
    GatewayParts(configuration, logger: logger).application
}

/// The gateway's pieces, wired together. Services in start order (shutdown is
/// the reverse): HTTP client, endpoint set (DNS), own health monitor,
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
        var clientConfiguration = HTTPClient.Configuration()
        // The per-try deadline covers the wait for the response head; the
        // read timeout (idle time between reads, the per-try timeout) bounds a
        // response body whose upstream stalls, so no client waits forever.
        clientConfiguration.timeout = .init(
            connect: configuration.connectTimeout.timeAmount,
            read: configuration.perTryTimeout.timeAmount
        )
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.decompression = .disabled
        // The proxy carries W3C trace context itself (ProxyHeaders) and no
        // tracer is bootstrapped: the client's own no-op spans cost ~2 % of CPU.
        clientConfiguration.tracing.tracer = nil
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let endpoints = EndpointSet(configuration: configuration, logger: logger)
        let monitor = HealthMonitor(
            serviceId: "gateway",
            checks: [DiskUtilizationCheck(warnPercent: 90), MemoryUtilizationCheck(warnPercent: 90)],
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
            endpoints: endpoints, client: client, configuration: configuration, metrics: metrics, logger: logger,
            // The gateway is started once it knows its upstreams' state.
            afterRound: {
                lifecycle.markStarted()
                webhook.observe(health.report().status)
                status.publish()
            }
        )
        let proxy = Proxy(endpoints: endpoints, client: client, configuration: configuration, metrics: metrics)

        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        // The status page's traffic figures: client requests (/api/*) only.
        router.add(middleware: RequestMetricsMiddleware(telemetry: telemetry) { path, code, duration in
            if path.hasPrefix("/api/") { traffic.record(status: code, duration: duration) }
        })
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
        // Every recognised method is proxied: data-api answers one its path
        // doesn't declare with 405 and that path's own Allow. TRACE goes
        // without content, which it must not carry (RFC 9110 §9.3.8) and
        // AsyncHTTPClient refuses to send (a 502 otherwise).
        for method in HTTPRequest.Method.recognized {
            router.on("/api/**", method: method) { request, context in
                guard method == .trace else { return try await proxy.forward(request, context: context) }
                var head = request.head
                head.headerFields[.contentLength] = nil
                head.headerFields[.transferEncoding] = nil
                return try await proxy.forward(Request(head: head, body: .init(buffer: ByteBuffer())), context: context)
            }
        }
        OpenAPIDocument.register(on: router)
        StatusPage.register(on: router, feed: status)
        self.routes = router.routes
        router.addMethodNotAllowedRoutes()

        self.health = healthEndpoints
        self.endpoints = endpoints
        self.application = Application(
            router: router,
            server: EdgeHTTP1Channel.server(configuration.edge),
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "gateway"),
            services: [HTTPClientService(client: client), endpoints, monitor, poller],
            logger: logger
        )
    }
}
