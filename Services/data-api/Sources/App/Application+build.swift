import Hummingbird
import Logging
import ServiceLifecycle
import Shared

/// Builds data-api: its clients, health monitor, routes and services, exactly
/// as production runs it. Tests call this too.
///
/// Services, in start order (shutdown is the reverse): PostgreSQL pool, Redis
/// pool, health monitor, database maintenance (schema, then upkeep), then the
/// HTTP server that Hummingbird adds last.
public func buildApplication(_ configuration: DataAPIConfiguration, logger: Logger) -> some ApplicationProtocol {
    DataAPIParts(configuration, logger: logger).application
}

/// data-api's pieces, built once and wired together.
struct DataAPIParts {
    let health: HealthEndpoints
    let monitor: HealthMonitor
    /// The routes registered (405 and OPTIONS completions aside): the drift
    /// test compares them with docs/openapi.yaml.
    let routes: [Router<BasicRequestContext>.RouteDescription]
    let application: Application<RouterResponder<BasicRequestContext>>

    init(_ configuration: DataAPIConfiguration, logger: Logger) {
        let telemetry = Telemetry()
        let lifecycle = LifecycleState()
        let postgres = PostgresClient(settings: configuration.postgres, telemetry: telemetry)
        let redis = RedisClient(settings: configuration.redis, telemetry: telemetry)
        let postgresCheck = PostgresHealthCheck(postgres: postgres)
        let redisCheck = RedisHealthCheck(redis: redis)
        let monitor = HealthMonitor(
            serviceId: "data-api",
            checks: [postgresCheck, redisCheck] + configuration.systemChecks.checks,
            configuration: configuration.health,
            telemetry: telemetry,
            logger: logger
        )
        let cache = ItemCache(
            redis: redis,
            ttlSeconds: configuration.cacheTTLSeconds,
            isAvailable: { [skipWhenFailing = configuration.cacheSkipWhenFailing] in !skipWhenFailing || monitor.status(of: redisCheck) != .fail },
            logger: logger
        )
        let idempotency = IdempotentItemCreator(postgres: postgres, ttl: configuration.idempotencyTTL)
        let chaos = ChaosSettings(configuration.chaos)

        let services: [any Service] = [
            postgres,
            redis,
            monitor,
            DatabaseMaintenanceService(
                postgres: postgres, monitor: monitor, postgresCheck: postgresCheck, idempotency: idempotency, lifecycle: lifecycle,
                purgeInterval: .seconds(600), logger: logger
            ),
        ]
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestMetricsMiddleware(telemetry: telemetry))
        router.add(middleware: ProblemMiddleware())
        let health = HealthEndpoints(monitor: monitor, lifecycle: lifecycle, telemetry: telemetry)
        health.register(on: router)
        let api = router.group("api").add(middleware: ChaosMiddleware(settings: chaos))
        api.get("data") { _, _ in
            ItemsController<BasicRequestContext>.raw(#"{"message":"Hello from the microservice!"}"#, status: .ok, headers: [:])
        }
        let store = ItemStore(postgres: postgres, singleFlight: configuration.itemReadsSingleFlight, telemetry: telemetry)
        ItemsController(store: store, cache: cache, idempotency: idempotency)
            .register(on: api.group().add(middleware: StartupGateMiddleware(lifecycle: lifecycle)))
        if let token = configuration.adminToken {
            AdminRoutes(token: token, chaos: chaos).register(on: router)
        }
        OpenAPIDocument.register(on: router)
        self.routes = router.routes
        router.addMethodNotAllowedRoutes()

        self.health = health
        self.monitor = monitor
        self.application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "data-api"),
            services: services,
            logger: logger
        )
    }
}
