#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ServiceLifecycle

/// The body of a service's `@main`.
public enum ServiceMain {
    /// Runs the service `name`: reads its `Configuration` from the environment,
    /// bootstraps logging, builds the service with `build` (its application and
    /// health endpoints) and serves it until SIGTERM or SIGINT, draining first
    /// (readiness 503, in-flight requests finish). A configuration error is one
    /// line on stderr and exit code 2; any other start-up failure exit code 1.
    ///
    /// `healthcheck [--live|--ready|--startup]` as arguments runs ``HealthProbe``
    /// against `HTTP_PORT` (default `Configuration.defaultPort`) instead; other arguments are refused.
    public static func run<Configuration: ServiceConfiguration, Application: Service>(
        name: String, build: (Configuration, Logger) -> (application: Application, health: HealthEndpoints)
    ) async -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if !arguments.isEmpty {
            let defaultPort = Configuration.defaultPort
            let port = (try? EnvironmentReader().int("HTTP_PORT", default: defaultPort, range: 1...65535)) ?? defaultPort
            guard let code = HealthProbe.run(arguments: arguments, port: port) else {
                FileOutput.writeAll("usage: \(CommandLine.arguments[0]) [healthcheck [--live|--ready|--startup]]; configure with environment variables (see docs/configuration.md)\n")
                exit(2)
            }
            exit(code)
        }
        do {
            let configuration = try Configuration(EnvironmentReader())
            let logger = Self.logger(name, level: configuration.logLevel, format: configuration.logFormat)
            let (application, health) = build(configuration, logger)
            let metadata: Logger.Metadata = ["host": "\(configuration.http.host)", "port": "\(configuration.http.port)"]
            try await Self.serve(
                application, name: name, health: health, drainDelay: configuration.drainDelay, watchdogTimeout: configuration.watchdogTimeout,
                logger: logger, metadata: metadata.merging(configuration.startMetadata) { $1 }
            )
            exit(0)
        } catch let error as ConfigError {
            FileOutput.writeAll("\(error)\n")
            exit(2)
        } catch {
            FileOutput.writeAll("fatal: \(error.safeDescription)\n")
            exit(1)
        }
    }
}

extension ServiceMain {
    /// Bootstraps swift-log at `level`, writing `format`, and returns the service's logger.
    private static func logger(_ label: String, level: Logger.Level, format: LogFormat) -> Logger {
        LoggingSystem.bootstrapService(level: level, format: format)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Runs `application` until SIGTERM or SIGINT. A ``DrainService`` placed
    /// after it hears the signal first: readiness turns 503 at once, then after
    /// `drainDelay` the application shuts down (in-flight requests finish).
    /// A ``Watchdog`` exits the process when `health` has not been live for `watchdogTimeout`.
    private static func serve(
        _ application: some Service, name: String, health: HealthEndpoints, drainDelay: Duration, watchdogTimeout: Duration,
        logger: Logger, metadata: Logger.Metadata
    ) async throws {
        let lifecycle = health.lifecycle
        Watchdog(timeout: watchdogTimeout, logger: logger, isLive: { health.isLive }).start()
        let group = ServiceGroup(
            configuration: .init(
                services: [application, DrainService(lifecycle: lifecycle, delay: drainDelay, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.notice("\(name) starting", metadata: metadata)
        try await group.run()
        logger.notice("\(name) stopped")
    }
}
