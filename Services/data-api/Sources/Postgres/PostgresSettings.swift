import Shared

/// How data-api reaches PostgreSQL. `url` is a libpq connection URI or
/// key=value string; libpq's `PG*` environment variables fill what it omits.
struct PostgresSettings: Sendable {
    var url: String
    var password: String?
    var poolSize: Int
    var connectTimeoutSeconds: Int
    var statementTimeout: Duration
    var acquireTimeout: Duration
    var applicationName = "data-api"
}

extension PostgresSettings {
    /// `DATABASE_URL`, `DATABASE_PASSWORD(_FILE)`, `DATABASE_POOL_SIZE`,
    /// `DATABASE_CONNECT_TIMEOUT_S`, `DATABASE_STATEMENT_TIMEOUT_MS`, `DATABASE_ACQUIRE_TIMEOUT_MS`.
    init(_ reader: EnvironmentReader) throws {
        let url = reader.string("DATABASE_URL", default: "postgresql://app@127.0.0.1:55432/app")
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") || url.contains("=") else {
            throw ConfigError(setting: "DATABASE_URL", problem: "must be a postgresql:// URI or a key=value connection string")
        }
        self.init(
            url: url,
            password: try reader.secret("DATABASE_PASSWORD"),
            poolSize: try reader.int("DATABASE_POOL_SIZE", default: 10, range: 1...200),
            // libpq treats 1 as 2; 0 would mean "wait forever", which we never allow.
            connectTimeoutSeconds: try reader.int("DATABASE_CONNECT_TIMEOUT_S", default: 2, range: 1...60),
            statementTimeout: try reader.milliseconds("DATABASE_STATEMENT_TIMEOUT_MS", default: .seconds(5), range: 10...600_000),
            acquireTimeout: try reader.milliseconds("DATABASE_ACQUIRE_TIMEOUT_MS", default: .seconds(2), range: 1...600_000)
        )
    }
}
