import Logging
import Shared

/// The `gateway` command.
public enum Gateway {
    /// Reads the configuration, bootstraps logging and runs until SIGTERM or
    /// SIGINT, draining first (readiness 503, in-flight requests finish).
    public static func main() async {
        await ServiceMain.run {
            let configuration = try GatewayConfiguration()
            let logger = ServiceMain.logger("gateway", level: configuration.logLevel)
            let parts = GatewayParts(configuration, logger: logger)
            try await ServiceMain.serve(
                parts.application, name: "gateway", lifecycle: parts.lifecycle, drainDelay: configuration.drainDelay, logger: logger,
                metadata: ["host": "\(configuration.http.host)", "port": "\(configuration.http.port)", "upstreams": "\(configuration.upstreams.count)"]
            )
        }
    }
}
