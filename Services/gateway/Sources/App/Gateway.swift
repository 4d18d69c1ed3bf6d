import Shared

/// The `gateway` command.
public enum Gateway {
    /// Runs the gateway until SIGTERM or SIGINT (see ``ServiceMain``).
    public static func main() async {
        await ServiceMain.run(name: "gateway") { (configuration: GatewayConfiguration, logger) in
            let parts = GatewayParts(configuration, logger: logger)
            return (parts.application, parts.health)
        }
    }
}
