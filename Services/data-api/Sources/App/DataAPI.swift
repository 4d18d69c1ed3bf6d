import Shared

/// The `data-api` command.
public enum DataAPI {
    /// Runs data-api until SIGTERM or SIGINT (see ``ServiceMain``); shutdown also closes its pools.
    public static func main() async {
        await ServiceMain.run(name: "data-api") { (configuration: DataAPIConfiguration, logger) in
            let parts = DataAPIParts(configuration, logger: logger)
            return (parts.application, parts.health)
        }
    }
}
