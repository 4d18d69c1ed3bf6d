import Foundation
import Shared
import TestSupport
import Testing

@testable import DataAPI

/// The libpq and hiredis pools against real servers that these tests stop,
/// restart and slow down: each test's own (``DataStores/own()``).
@Suite(.serialized) struct PoolIntegrationTests {
    let stores: DataStores

    init() async throws {
        self.stores = try await DataStores.own()
    }

    func postgresSettings(poolSize: Int = 4, statementTimeout: Duration = .seconds(5), acquireTimeout: Duration = .seconds(2)) -> PostgresSettings {
        PostgresSettings(
            url: self.stores.postgres.url, password: self.stores.postgres.password, poolSize: poolSize,
            connectTimeoutSeconds: 2, statementTimeout: statementTimeout, acquireTimeout: acquireTimeout
        )
    }

    func redisSettings(password: String? = nil) -> RedisSettings {
        RedisSettings(
            host: "127.0.0.1", port: self.stores.redis.server.port, database: 0, password: password ?? self.stores.redis.password,
            poolSize: 2, connectTimeout: .milliseconds(500), commandTimeout: .milliseconds(250), acquireTimeout: .milliseconds(250)
        )
    }

    @Test func parameterizedQueriesRoundTripValuesAndNulls() async throws {
        let client = PostgresClient(settings: self.postgresSettings())
        let row = try await client.withConnection(idempotent: true) { connection in
            try connection.query("SELECT $1::text AS a, $2::text AS b, $3::int + 1 AS c", ["it's; DROP TABLE x; --", nil, "41"]).first
        }
        #expect(row?["a"] == "it's; DROP TABLE x; --")
        #expect(row?["b"] == nil)
        #expect(row?.int("c") == 42)
    }

    @Test func poolNeverOpensMoreThanItsSize() async throws {
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 2))
        let maxBusy = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await client.withConnection(idempotent: true) { connection in
                        try connection.query("SELECT pg_sleep(0.05)")
                        return client.poolCounts.busy
                    }
                }
            }
            return try await group.reduce(0, max)
        }
        let connections = try self.stores.postgres.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'data-api'")
        #expect(Int(connections) == 2)
        #expect(maxBusy <= 2)
        #expect(client.poolCounts.idle == 2)
    }

    @Test func anExhaustedPoolFailsAfterTheAcquireTimeout() async throws {
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 1, acquireTimeout: .milliseconds(50)))
        async let holder = client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.5)") }
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: PoolError.exhausted) {
            try await client.withConnection(idempotent: true) { try $0.query("SELECT 1") }
        }
        _ = try await holder
    }

    @Test func statementTimeoutBoundsASlowQuery() async throws {
        let client = PostgresClient(settings: self.postgresSettings(statementTimeout: .milliseconds(100)))
        await #expect(throws: PostgresError.query(sqlState: "57014")) {
            try await client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(3)") }
        }
        // The connection stays usable after a server-side timeout.
        #expect(try await client.withConnection(idempotent: true) { try $0.query("SELECT 1").first?.int("?column?") } == 1)
    }

    /// A backend that stops answering (SIGSTOP: what a silent partition
    /// looks like from the client) holds the pool's thread no longer than
    /// the query's client-side deadline, and /metrics says so; a call that
    /// does hold it longer is counted.
    @Test func callsHeldPastTheirBoundAreCounted() async throws {
        let telemetry = Telemetry()
        let client = PostgresClient(settings: self.postgresSettings(statementTimeout: .milliseconds(100)), telemetry: telemetry)
        let backend = try #require(Int32(try await client.withConnection(idempotent: true) { try $0.query("SELECT pg_backend_pid() AS pid").first?["pid"] ?? "" }))
        kill(backend, SIGSTOP)
        defer { kill(backend, SIGCONT) }
        let started = ContinuousClock.now
        await #expect(throws: PostgresError.timeout) {
            try await client.withConnection(idempotent: false) { try $0.query("SELECT 1") }
        }
        // At least the query's client-side deadline; no more than it (plus
        // the slack) is what the counter says.
        let held = ContinuousClock.now - started
        #expect(held >= .milliseconds(1100), "held \(held)")
        #expect(Self.overBound(telemetry) == 0)

        // The positive control: a call that keeps the thread past the 1.1 s bound.
        _ = try await client.withConnection(idempotent: true) { connection in
            usleep(1_500_000)
            return try connection.query("SELECT 1").first?.int("?column?")
        }
        #expect(Self.overBound(telemetry) == 1)
    }

    private static func overBound(_ telemetry: Telemetry) -> Int? {
        let text = String(decoding: telemetry.exposition(), as: UTF8.self)
        let line = text.split(separator: "\n").first {
            $0.hasPrefix("datastore_calls_over_bound_total{") && $0.contains(#"pool="postgres""#) && $0.contains(#"kind="call""#)
        }
        return line?.split(separator: " ").last.flatMap { Int($0) }
    }

    @Test func poolRecoversByItselfAfterAServerRestart() async throws {
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 3))
        // Fill the pool with idle connections that the restart will kill.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { _ = try await client.withConnection(idempotent: true) { try $0.query("SELECT pg_sleep(0.05)") } }
            }
            try await group.waitForAll()
        }
        #expect(client.poolCounts.idle == 3)
        try await offloaded { [postgres = self.stores.postgres.server] in try postgres.stop(mode: "immediate") }
        try await offloaded { [postgres = self.stores.postgres.server] in try postgres.start() }
        // The first read after the restart succeeds: the stale connection is
        // dropped with every idle one, and the read retried on a fresh one.
        let value = try await client.withConnection(idempotent: true) { try $0.query("SELECT 7 AS v").first?.int("v") }
        #expect(value == 7)
        #expect(client.poolCounts.idle == 1)
    }

    /// The health check never queues behind requests: with the pool's one
    /// connection held and three more requests waiting for it, the check
    /// runs on the connection kept for it and finishes first (it would
    /// otherwise finish last, after 2 s of queries, and time out: a slow
    /// database read as a failed one).
    @Test func theCheckDoesNotQueueBehindRequests() async throws {
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 1, acquireTimeout: .seconds(10)))
        let order = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 0..<4 {
                group.addTask {
                    _ = try await client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.5)") }
                    return "request \(number)"
                }
                // Each in its place: the first holds the connection, the others wait in turn.
                try await waitUntil(timeout: .seconds(5), "request \(number) holding or waiting") { client.poolCounts.busy + client.poolCounts.waiting == number + 1 }
            }
            group.addTask {
                _ = try await PostgresHealthCheck(postgres: client).run()
                return "check"
            }
            // In the order they finished.
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(order == ["check", "request 0", "request 1", "request 2", "request 3"])
    }

    /// The connection kept for the check is the check's only: requests still
    /// hold at most the pool's size, however many connections are idle.
    @Test func requestsNeverUseTheChecksConnection() async throws {
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 1, acquireTimeout: .seconds(10)))
        // A request holds the one connection while the check opens its own: two idle after.
        async let holder = client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.3)") }
        try await waitUntil(timeout: .seconds(5), "the request holding the connection") { client.poolCounts.busy == 1 }
        _ = try await PostgresHealthCheck(postgres: client).run()
        _ = try await holder
        #expect(client.poolCounts.idle == 2)
        async let first = client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.3)") }
        async let second = client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.3)") }
        try await waitUntil(timeout: .seconds(5), "one request running, the other waiting") { client.poolCounts.busy == 1 && client.poolCounts.waiting == 1 }
        _ = try await (first, second)
    }

    /// The check's connection is kept for the next check, open: requests
    /// that take every other connection (and wait for more) never take it,
    /// so a check on a slow network does not pay a new connect (startup and
    /// authentication are round trips too, and can outlast its timeout).
    @Test func theChecksConnectionIsKeptForTheNextCheck() async throws {
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 1, acquireTimeout: .seconds(10)))
        let backend: @Sendable (PostgresConnection) throws -> Int? = { try $0.query("SELECT pg_backend_pid() AS pid").first?.int("pid") }
        let first = try await client.withCheckConnection(backend)
        async let holder = client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.5)") }
        async let waiting = client.withConnection(idempotent: false) { try $0.query("SELECT pg_sleep(0.1)") }
        try await waitUntil(timeout: .seconds(5), "one request holding the connection, one waiting") { client.poolCounts.waiting == 1 }
        let second = try await client.withCheckConnection(backend)
        #expect(first != nil && second == first, "the check connected anew")
        _ = try await (holder, waiting)
    }

    @Test func aStoppedServerGivesAnErrorNotAHang() async throws {
        let client = PostgresClient(settings: self.postgresSettings())
        _ = try await client.withConnection(idempotent: true) { try $0.query("SELECT 1") }
        try await offloaded { [postgres = self.stores.postgres.server] in try postgres.stop(mode: "immediate") }
        defer { try? self.stores.postgres.server.start() }
        for _ in 0..<3 {
            do {
                _ = try await client.withConnection(idempotent: true) { try $0.query("SELECT 1") }
                Issue.record("query succeeded against a stopped server")
            } catch let error as PostgresError {
                #expect(error.isUnavailable)
                #expect(["connection refused", "connection lost"].contains(error.safeDescription))
            }
        }
    }

    @Test func wrongPostgresPasswordIsAnAuthenticationError() async throws {
        var settings = self.postgresSettings()
        settings.password = "wrong-password"
        let client = PostgresClient(settings: settings)
        await #expect(throws: PostgresError.authenticationFailed) {
            try await client.withConnection(idempotent: true) { try $0.query("SELECT 1") }
        }
    }

    @Test func redisCommandsAuthAndBinarySafety() async throws {
        let client = RedisClient(settings: self.redisSettings())
        try await client.set("k", "value with spaces\r\nand CRLF", ttlSeconds: 60)
        #expect(try await client.get("k") == Array("value with spaces\r\nand CRLF".utf8))
        #expect(try await client.get("missing") == nil)
        try await client.delete("k")
        #expect(try await client.get("k") == nil)
        #expect(try self.stores.redis.cli(["TTL", "k"]) == "-2")
        let wrong = RedisClient(settings: self.redisSettings(password: "wrong"))
        await #expect(throws: RedisError.authenticationFailed) { try await wrong.ping() }
    }

    /// A server that vanished without resetting its connections (a stopped
    /// container) makes calls hang; the caller that gives up first (a health
    /// check's timeout) must not leave the stuck connection's idle siblings
    /// for the next callers.
    @Test func aCallerThatGivesUpDropsTheIdleConnections() async throws {
        struct GaveUp: Error {}
        let client = PostgresClient(settings: self.postgresSettings(poolSize: 3))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask { try await client.withConnection(idempotent: true) { _ = try $0.query("SELECT pg_sleep(0.1)") } }
            }
            try await group.waitForAll()
        }
        #expect(client.poolCounts.idle == 2)
        await #expect(throws: GaveUp.self) {
            try await withTimeout(.milliseconds(200), error: GaveUp()) {
                try await client.withConnection(idempotent: true) { _ = try $0.query("SELECT pg_sleep(1.5)") }
            }
        }
        // The stuck call still runs on one of the two; its idle sibling is gone at once.
        try await waitUntil(timeout: .milliseconds(800), "idle connections dropped") { client.poolCounts.idle == 0 }
        #expect(client.poolCounts.busy == 1)
    }

    @Test func redisRecoversAfterARestartAndFailsFastWhileDown() async throws {
        let client = RedisClient(settings: self.redisSettings())
        try await client.ping()
        try await offloaded { [redis = self.stores.redis.server] in try redis.stop() }
        await #expect(throws: RedisError.self) { try await client.ping() }
        await #expect(throws: RedisError.connectionRefused) { try await client.ping() }
        try await offloaded { [redis = self.stores.redis.server] in try redis.start() }
        try await client.ping()
    }
}
