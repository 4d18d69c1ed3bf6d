import Foundation
import Logging
import ServiceLifecycle

/// The body of a service's `@main`: turns a configuration error into one line
/// on stderr and exit code 2, and any other start-up failure into exit code 1.
public enum ServiceMain {
    ///
    /// `healthcheck [--live|--ready|--startup]` as arguments runs ``HealthProbe``
    /// against `HTTP_PORT` (default `defaultPort`) instead; other arguments are refused.
    public static func run(defaultPort: Int, _ body: () async throws -> Void) async -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if !arguments.isEmpty {
            let port = (try? ConfigReader().int("HTTP_PORT", default: defaultPort, range: 1...65535)) ?? defaultPort
            guard let code = HealthProbe.run(arguments: arguments, port: port) else {
                FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) [healthcheck [--live|--ready|--startup]]; configure with environment variables (see README)\n".utf8))
                exit(2)
            }
            exit(code)
        }
        do {
            try await body()
            exit(0)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("fatal: \(error.safeDescription)\n".utf8))
            exit(1)
        }
    }
}

extension ServiceMain {
    /// Bootstraps swift-log at `level`, writing `format`, and returns the service's logger.
    public static func logger(_ label: String, level: Logger.Level, format: LogFormat) -> Logger {
        LoggingSystem.bootstrapService(level: level, format: format)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Runs `application` until SIGTERM or SIGINT. A ``DrainService`` placed
    /// after it hears the signal first: readiness turns 503 at once, then after
    /// `drainDelay` the application shuts down (in-flight requests finish).
    /// A ``Watchdog`` exits the process when `health` has not been live for `watchdogTimeout`.
    public static func serve(
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
