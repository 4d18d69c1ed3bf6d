/// The PostgreSQL database and the Redis database one test's services use.
///
/// ``shared()`` gives a test databases of its own on the servers every test
/// of the process shares (each started once, on first use); ``own()`` starts
/// servers for the test alone, for a test that stops, crashes or restarts them.
public struct DataStores: Sendable {
    public let postgres: PostgresTestDatabase
    public let redis: RedisTestDatabase

    /// A new database on the shared PostgreSQL and an emptied logical
    /// database, lent to this test alone, on the shared Redis. Whatever uses
    /// them (a service process) holds them, so they outlive it.
    public static func shared() async throws -> DataStores {
        DataStores(postgres: try await PostgresTestServer.sharedDatabase(), redis: try await RedisTestServer.shared.value.borrowDatabase())
    }

    /// Servers of the test's own.
    public static func own() async throws -> DataStores {
        let postgres = try await offloaded { try PostgresTestServer() }
        let redis = try await offloaded { try RedisTestServer() }
        return DataStores(postgres: postgres.app, redis: redis.defaultDatabase)
    }

    /// The settings data-api reads to reach them.
    public var environment: [String: String] {
        [
            "DATABASE_URL": self.postgres.url, "DATABASE_PASSWORD": self.postgres.password,
            "REDIS_URL": self.redis.url, "REDIS_PASSWORD": self.redis.password,
        ]
    }
}
