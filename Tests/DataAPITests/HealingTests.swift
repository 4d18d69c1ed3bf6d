import Foundation
import Shared
import TestSupport
import Testing

/// The healing contract with a real resolver and a real network path: the
/// built data-api runs in a network namespace of its own (``TestNetwork``),
/// reaching real PostgreSQL and Redis by host name over a veth link, while
/// the test makes its name server stop answering or its link drop packets.
///
/// Pools of two connections: a call blocked past its bound (a `getaddrinfo`
/// waiting on a silent name server, a connect to a path that drops packets)
/// holds its pool slot, and with two slots the pool is soon exhausted, so
/// an unbounded step shows as a late recovery and as long abandoned runs.
@Suite(.serialized) struct HealingTests {
    static let interval = Duration.milliseconds(250)
    static let connectTimeout = Duration.seconds(1)
    static let statementTimeout = Duration.seconds(1)

    @Test func aResolverThatNeverAnswersFailsChecksFastAndTheyPassOnceTheNamesResolve() async throws {
        let network = try TestNetwork()
        let (postgres, redis) = try await Self.servers(on: network)
        let api = try NamespacedDataAPI(network: network, environment: Self.environment(postgres, redis))

        // No entry in hosts: every lookup goes to the silent name server.
        let failing = try await api.waitForHealth("both checks to fail with the resolver's cause") { report in
            Self.check(report, "postgres:responseTime")?.output == "dns timeout" && Self.check(report, "redis:responseTime")?.output == "dns timeout"
        }
        #expect(Self.check(failing, "postgres:responseTime")?.status == .fail)
        try await Task.sleep(for: .seconds(3))

        try network.setHosts(["pg.test": network.hostAddress, "redis.test": network.hostAddress])
        let recovery = try await api.timeUntilChecksPass(["postgres:responseTime", "redis:responseTime"])
        #expect(recovery <= Self.interval + Self.connectTimeout + .seconds(1), "recovered \(recovery) after the names resolved")
        Self.expectBoundedRuns(api.log, bound: Self.connectTimeout)
    }

    @Test func aPathThatDropsPacketsFailsChecksFastAndTheyPassOnceItIsBack() async throws {
        let network = try TestNetwork()
        try network.setHosts(["pg.test": network.hostAddress, "redis.test": network.hostAddress])
        let (postgres, redis) = try await Self.servers(on: network)
        let api = try NamespacedDataAPI(network: network, environment: Self.environment(postgres, redis))
        _ = try await api.waitForHealth("both checks to pass") { report in
            Self.check(report, "postgres:responseTime")?.status == .pass && Self.check(report, "redis:responseTime")?.status == .pass
        }

        try network.setLink(up: false)
        _ = try await api.waitForHealth("both checks to fail while the link drops packets") { report in
            Self.check(report, "postgres:responseTime")?.status == .fail && Self.check(report, "redis:responseTime")?.status == .fail
        }
        try await Task.sleep(for: .seconds(3))

        try network.setLink(up: true)
        let recovery = try await api.timeUntilChecksPass(["postgres:responseTime", "redis:responseTime"])
        #expect(recovery <= Self.interval + Self.connectTimeout + .seconds(1), "recovered \(recovery) after the link came back")
        // A read on a pooled connection that the cut left dead waits out its
        // client-side deadline (statement timeout plus one second), then is
        // retried once on a fresh connection, whose connect is bounded by the
        // connect timeout (seen: 2,000 + 1,000 ms); nothing waits longer.
        Self.expectBoundedRuns(api.log, bound: Self.statementTimeout + .seconds(1) + Self.connectTimeout)
    }

    // MARK: helpers

    static func servers(on network: TestNetwork) async throws -> (PostgresTestServer, RedisTestServer) {
        let postgres = try await offloaded { try PostgresTestServer(extraListenAddress: network.hostAddress) }
        let redis = try await offloaded { try RedisTestServer(extraListenAddress: network.hostAddress) }
        return (postgres, redis)
    }

    static func environment(_ postgres: PostgresTestServer, _ redis: RedisTestServer) -> [String: String] {
        [
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "8081",
            "LOG_LEVEL": "debug",
            "DATABASE_URL": "postgresql://app@pg.test:\(postgres.port)/app",
            "DATABASE_PASSWORD": postgres.password,
            "DATABASE_POOL_SIZE": "2",
            "DATABASE_CONNECT_TIMEOUT_S": "1",
            "DATABASE_STATEMENT_TIMEOUT_MS": String(Int(Self.statementTimeout.milliseconds)),
            "REDIS_URL": "redis://redis.test:\(redis.port)/0",
            "REDIS_PASSWORD": redis.password,
            "REDIS_POOL_SIZE": "2",
            "REDIS_CONNECT_TIMEOUT_MS": "500",
            "HEALTH_INTERVAL_MS": String(Int(Self.interval.milliseconds)),
            "HEALTH_TIMEOUT_MS": "1000",
            "HEALTH_FAILURE_THRESHOLD": "1",
        ]
    }

    static func check(_ report: HealthReport, _ key: String) -> HealthReport.CheckEntry? {
        report.checks?[key]?.first
    }

    /// Every run of a check that its timeout abandoned ended within `bound`
    /// (plus 300 ms for scheduling): no pool thread was held longer.
    static func expectBoundedRuns(_ log: String, bound: Duration) {
        let durations = log.split(separator: "\n").filter { $0.contains("abandoned health check run ended") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("duration_ms=") }.flatMap { Int($0.dropFirst("duration_ms=".count)) }
        }
        let limit = Int((bound + .milliseconds(300)).milliseconds)
        #expect(durations.allSatisfy { $0 <= limit }, "abandoned runs took \(durations) ms; the bound is \(limit) ms")
    }
}
