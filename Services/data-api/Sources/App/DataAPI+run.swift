import Hummingbird
import Logging
import ServiceLifecycle
import Shared

/// The `data-api` command.
public enum DataAPI {
    /// Reads the configuration, bootstraps logging and runs until SIGTERM or
    /// SIGINT, draining first (readiness 503, in-flight requests finish, pools close).
    public static func main() async {
        await ServiceMain.run {
            let configuration = try DataAPIConfiguration()
            LoggingSystem.bootstrapService(level: configuration.logLevel)
            var logger = Logger(label: "data-api")
            logger.logLevel = configuration.logLevel
            let parts = DataAPIParts(configuration, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [parts.application, DrainService(lifecycle: parts.lifecycle, delay: configuration.drainDelay, logger: logger)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            logger.notice("data-api starting", metadata: ["host": "\(configuration.http.host)", "port": "\(configuration.http.port)"])
            try await group.run()
            logger.notice("data-api stopped")
        }
    }
}
