import ServiceLifecycle
import Shared

/// data-api's Redis access: a ``BlockingConnectionPool`` of hiredis connections.
final class RedisClient: Service, Sendable {
    private let pool: BlockingConnectionPool<RedisConnection>

    init(settings: RedisSettings, telemetry: Telemetry = Telemetry()) {
        let metrics = PoolMetrics(pool: "redis", connectBound: settings.connectTimeout, callBound: settings.commandTimeout, telemetry: telemetry)
        self.pool = BlockingConnectionPool(maxConnections: settings.poolSize, acquireTimeout: settings.acquireTimeout, metrics: metrics) {
            try RedisConnection(settings: settings)
        }
    }

    /// Sends one command. Safe to retry on a stale connection: the cache
    /// commands we send (GET, SET, DEL, PING) are idempotent.
    func command(_ arguments: [String]) async throws -> RedisReply {
        let reply = try await self.pool.withConnection(retryOnStale: true) { try $0.command(arguments) }
        if case .error = reply { throw RedisError.commandFailed }
        return reply
    }

    func get(_ key: String) async throws -> [UInt8]? {
        switch try await self.command(["GET", key]) {
        case .bulk(let value): return value
        case .null: return nil
        default: throw RedisError.unexpectedReply
        }
    }

    func set(_ key: String, _ value: String, ttlSeconds: Int) async throws {
        _ = try await self.command(["SET", key, value, "EX", String(ttlSeconds)])
    }

    func delete(_ key: String) async throws {
        _ = try await self.command(["DEL", key])
    }

    func ping() async throws {
        guard case .status("PONG") = try await self.command(["PING"]) else { throw RedisError.unexpectedReply }
    }

    func run() async throws {
        try? await gracefulShutdown()
        await self.pool.close()
    }
}
