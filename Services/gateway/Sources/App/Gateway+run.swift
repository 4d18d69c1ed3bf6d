import Hummingbird
import Logging
import ServiceLifecycle
import Shared

/// The `gateway` command.
public enum Gateway {
    /// Reads the configuration, bootstraps logging and runs until SIGTERM or
    /// SIGINT, draining first (readiness 503, in-flight requests finish).
    public static func main() async {
        await ServiceMain.run {
            let configuration = try GatewayConfiguration()
            LoggingSystem.bootstrapService(level: configuration.logLevel)
            var logger = Logger(label: "gateway")
            logger.logLevel = configuration.logLevel
            let parts = GatewayParts(configuration, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [parts.application, DrainService(lifecycle: parts.lifecycle, delay: configuration.drainDelay, logger: logger)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            logger.notice(
                "gateway starting",
                metadata: ["host": "\(configuration.http.host)", "port": "\(configuration.http.port)", "upstreams": "\(configuration.upstreams.count)"]
            )
            try await group.run()
            logger.notice("gateway stopped")
        }
    }
}
