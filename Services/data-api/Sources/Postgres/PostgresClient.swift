import ServiceLifecycle
import Shared

/// data-api's PostgreSQL access: a ``BlockingConnectionPool`` of libpq
/// connections. A `Service` so the pool closes after the HTTP server has
/// finished its last request.
final class PostgresClient: Service, Sendable {
    private let pool: BlockingConnectionPool<PostgresConnection>

    init(settings: PostgresSettings, telemetry: Telemetry = Telemetry()) {
        // A connection attempt takes at most the connect timeout; one query
        // at most its client-side deadline (statement timeout + 1 s).
        let metrics = PoolMetrics(
            pool: "postgres", connectBound: .seconds(settings.connectTimeoutSeconds), callBound: PostgresConnection.queryDeadline(settings),
            telemetry: telemetry
        )
        self.pool = BlockingConnectionPool(maxConnections: settings.poolSize, acquireTimeout: settings.acquireTimeout, metrics: metrics) {
            try PostgresConnection(settings: settings)
        }
    }

    /// Runs `body` on one connection. `idempotent` work (reads) is retried
    /// once on a fresh connection when a pooled one turns out stale.
    func withConnection<T: Sendable>(idempotent: Bool, _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await self.pool.withConnection(retryOnStale: idempotent, body)
    }

    /// Runs the health check's `body` ahead of every waiting request
    /// (retried once on a fresh connection when a pooled one turns out stale).
    func withCheckConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await self.pool.withConnection(retryOnStale: true, first: true, body)
    }

    /// Runs `body` inside `BEGIN` … `COMMIT`; any error rolls back.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await self.pool.withConnection { connection in
            try connection.query("BEGIN")
            do {
                let result = try body(connection)
                try connection.query("COMMIT")
                return result
            } catch {
                _ = try? connection.query("ROLLBACK")
                throw error
            }
        }
    }

    var poolCounts: (idle: Int, busy: Int, waiting: Int) { self.pool.counts }

    func run() async throws {
        try? await gracefulShutdown()
        await self.pool.close()
    }
}
