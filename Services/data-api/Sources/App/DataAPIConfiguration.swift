import Logging
import Shared

/// Everything data-api reads from its environment, validated at start-up.
public struct DataAPIConfiguration: ServiceConfiguration {
    public static let defaultPort = 8081

    public var http: HTTPServerSettings
    var postgres: PostgresSettings
    var redis: RedisSettings
    public var health: HealthMonitorConfiguration
    public var logLevel: Logger.Level
    /// `LOG_FORMAT`: logfmt (default) or json.
    public var logFormat: LogFormat
    var cacheTTLSeconds: Int
    /// `CACHE_SKIP_WHEN_FAILING` (true): while the Redis check fails, reads
    /// skip Redis instead of each paying its timeout.
    var cacheSkipWhenFailing: Bool
    /// `ITEM_READS_SINGLE_FLIGHT` (true): concurrent reads of one item share one query.
    var itemReadsSingleFlight: Bool
    var idempotencyTTL: Duration
    var adminToken: String?
    var chaos: ChaosSettings.Values
    /// `DISK_WARN_PERCENT`, `MEMORY_WARN_PERCENT`.
    var systemChecks: SystemCheckSettings
    /// How long readiness reports `draining` before the server stops accepting.
    public var drainDelay: Duration
    /// `WATCHDOG_TIMEOUT_MS`: exit when liveness has failed this long (0: off).
    public var watchdogTimeout: Duration

    /// Reads and validates the environment; throws ``ConfigError`` naming the first bad setting.
    public init(_ reader: EnvironmentReader = EnvironmentReader()) throws {
        self.http = try HTTPServerSettings(reader, defaultPort: Self.defaultPort)
        self.postgres = try PostgresSettings(reader)
        self.redis = try RedisSettings(reader)
        self.health = try HealthMonitorConfiguration(reader)
        self.logLevel = try reader.logLevel()
        self.logFormat = try reader.logFormat()
        self.cacheTTLSeconds = try reader.int("CACHE_TTL_SECONDS", default: 30, range: 1...86_400)
        self.cacheSkipWhenFailing = try reader.bool("CACHE_SKIP_WHEN_FAILING", default: true)
        self.itemReadsSingleFlight = try reader.bool("ITEM_READS_SINGLE_FLIGHT", default: true)
        self.idempotencyTTL = .seconds(try reader.int("IDEMPOTENCY_TTL_S", default: 86_400, range: 60...2_592_000))
        self.adminToken = try reader.secret("ADMIN_TOKEN")
        self.chaos = ChaosSettings.Values(
            errorRate: try reader.double("CHAOS_ERROR_RATE", default: 0, range: ChaosSettings.Values.errorRateRange),
            latencyMs: try reader.int("CHAOS_LATENCY_MS", default: 0, range: ChaosSettings.Values.latencyRange)
        )
        self.systemChecks = try SystemCheckSettings(reader)
        self.drainDelay = try reader.milliseconds("SHUTDOWN_DRAIN_MS", default: .zero, range: 0...60_000)
        self.watchdogTimeout = try Watchdog.timeout(reader)
        if let token = self.adminToken, token.count < 16 {
            throw ConfigError(setting: "ADMIN_TOKEN", problem: "must be at least 16 characters")
        }
    }
}
