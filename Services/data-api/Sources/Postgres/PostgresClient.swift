import ServiceLifecycle
import Shared

/// data-api's PostgreSQL access: a ``BlockingConnectionPool`` of libpq
/// connections for requests, and one connection of its own for the health
/// check, so that a pool busy with slow requests does not read as a failed
/// database (the check would otherwise queue behind them and time out). A
/// broken check connection also drops the requests' idle ones (the server
/// restarted or went away: they are dead too); the check's own connection
/// heals by its retry on a fresh one. A `Service` so the pools close after
/// the HTTP server has finished its last request.
final class PostgresClient: Service, Sendable {
    private let pool: BlockingConnectionPool<PostgresConnection>
    private let checkPool: BlockingConnectionPool<PostgresConnection>

    init(settings: PostgresSettings, telemetry: Telemetry = Telemetry()) {
        // A connection attempt takes at most the connect timeout; one query
        // at most its client-side deadline (statement timeout + 1 s).
        func metrics(_ pool: String) -> PoolMetrics {
            PoolMetrics(
                pool: pool, connectBound: .seconds(settings.connectTimeoutSeconds), callBound: PostgresConnection.queryDeadline(settings),
                telemetry: telemetry
            )
        }
        let pool = BlockingConnectionPool(maxConnections: settings.poolSize, acquireTimeout: settings.acquireTimeout, metrics: metrics("postgres")) {
            try PostgresConnection(settings: settings)
        }
        self.pool = pool
        self.checkPool = BlockingConnectionPool(
            maxConnections: 1, acquireTimeout: settings.acquireTimeout, metrics: metrics("postgres-check"), onBroken: { pool.dropIdle() }
        ) {
            try PostgresConnection(settings: settings)
        }
    }

    /// Runs the health check's `body` on its own connection (retried once on
    /// a fresh one when it turns out stale).
    func withCheckConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await self.checkPool.withConnection(retryOnStale: true, body)
    }

    /// Runs `body` on one connection. `idempotent` work (reads) is retried
    /// once on a fresh connection when a pooled one turns out stale.
    func withConnection<T: Sendable>(idempotent: Bool, _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await self.pool.withConnection(retryOnStale: idempotent, body)
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

    var poolCounts: (idle: Int, busy: Int) { self.pool.counts }

    func run() async throws {
        try? await gracefulShutdown()
        await self.pool.close()
        await self.checkPool.close()
    }
}
