import Logging
import Shared

/// The `gateway` command.
public enum Gateway {
    /// Reads the configuration, bootstraps logging and runs until SIGTERM or
    /// SIGINT, draining first (readiness 503, in-flight requests finish).
    public static func main() async {
        await ServiceMain.run(defaultPort: 8080) {
            let configuration = try GatewayConfiguration()
            let logger = ServiceMain.logger("gateway", level: configuration.logLevel, format: configuration.logFormat)
            let parts = GatewayParts(configuration, logger: logger)
            try await ServiceMain.serve(
                parts.application, name: "gateway", health: parts.health, drainDelay: configuration.drainDelay,
                watchdogTimeout: configuration.watchdogTimeout, logger: logger,
                metadata: ["host": "\(configuration.http.host)", "port": "\(configuration.http.port)", "upstreams": "\(configuration.upstreams.count)"]
            )
        }
    }
}
