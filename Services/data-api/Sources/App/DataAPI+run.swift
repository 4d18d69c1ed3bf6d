import Logging
import Shared

/// The `data-api` command.
public enum DataAPI {
    /// Reads the configuration, bootstraps logging and runs until SIGTERM or
    /// SIGINT, draining first (readiness 503, in-flight requests finish, pools close).
    public static func main() async {
        await ServiceMain.run(defaultPort: 8081) {
            let configuration = try DataAPIConfiguration()
            let logger = ServiceMain.logger("data-api", level: configuration.logLevel, format: configuration.logFormat)
            let parts = DataAPIParts(configuration, logger: logger)
            try await ServiceMain.serve(
                parts.application, name: "data-api", health: parts.health, drainDelay: configuration.drainDelay,
                watchdogTimeout: configuration.watchdogTimeout, logger: logger,
                metadata: ["host": "\(configuration.http.host)", "port": "\(configuration.http.port)"]
            )
        }
    }
}
