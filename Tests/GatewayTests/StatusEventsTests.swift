import Foundation
import Shared
import TestSupport
import Testing

@testable import Gateway

/// `/health/events` (the status page's feed) on the real stack: the built
/// gateway in front of two data-api processes, real PostgreSQL and Redis.
@Suite(.serialized) struct StatusEventsTests {
    static let replicaChecks = ["disk:utilization", "memory:utilization", "postgres:responseTime", "redis:responseTime"]

    /// Opens a viewer off the cooperative pool.
    static func open(_ stack: EndToEndServers.Stack) async throws -> EventStreamClient {
        try await offloaded { try EventStreamClient(port: stack.gateway.port) }
    }

    /// The next `status` event that satisfies `condition`.
    static func status(_ viewer: EventStreamClient, where condition: @escaping @Sendable (StatusSnapshot) -> Bool = { _ in true }) async throws -> StatusSnapshot {
        try await offloaded { try viewer.next("status") { condition(try $0.decode(StatusSnapshot.self)) }.decode(StatusSnapshot.self) }
    }

    @Test func everyReplicaAndCheckThenPostgresFailsAndReturnsLive() async throws {
        let stores = try await DataStores.own()
        let stack = try await EndToEndServers(stores).startStack(gatewayEnvironment: ["LOG_FORMAT": "json"])
        let viewer = try await Self.open(stack)
        #expect(viewer.status == 200)
        #expect(viewer.headers["content-type"] == "text/event-stream")
        let history = try await offloaded { try viewer.next("history") }
        #expect((try? history.decode([StatusTransition].self)) != nil)
        let first = try await Self.status(viewer) { $0.status == .pass }
        #expect(first.replicas.map(\.name) == ["replica-1", "replica-2"])
        for replica in first.replicas {
            #expect(replica.status == .pass)
            #expect(replica.breaker == "closed")
            #expect(!replica.ejected)
            #expect(replica.address == nil, "addresses are shown only with STATUS_SHOW_ADDRESSES")
            #expect(replica.responseTimeMilliseconds != nil)
            #expect(replica.checks.map(\.name) == Self.replicaChecks)
        }
        #expect(first.gateway.map(\.name) == ["disk:utilization", "memory:utilization"])

        try await offloaded { [postgres = stores.postgres.server] in try postgres.stop(mode: "immediate") }
        let failed = try await Self.status(viewer) { $0.status == .fail }
        for replica in failed.replicas {
            #expect(replica.status == .fail)
            let postgres = replica.checks.first { $0.name == "postgres:responseTime" }
            #expect(postgres?.status == .fail)
            #expect(postgres?.output != nil)
        }
        try await offloaded { [postgres = stores.postgres.server] in try postgres.start() }
        _ = try await Self.status(viewer) { $0.status == .pass }

        // A viewer that comes now gets the history: the overall status went
        // to fail and back, each replica's PostgreSQL check with it, with durations.
        let late = try await Self.open(stack)
        let transitions = try await offloaded { try late.next("history").decode([StatusTransition].self) }
        let overall = transitions.filter { $0.subject == "gateway" }
        // Back to pass, maybe through warn (one replica healed before the other).
        #expect(overall.map(\.to).contains("fail"))
        #expect(overall.last?.to == "pass")
        #expect(overall.last.map { $0.fromDurationSeconds > 0 } == true)
        for name in ["replica-1", "replica-2"] {
            #expect(transitions.contains { $0.subject == "\(name) postgres:responseTime" && $0.to == "fail" && $0.output != nil })
        }

        // Nothing internal or secret in what a viewer gets, nor in the gateway's JSON log.
        viewer.close()
        late.close()
        let sent = history.data + String(decoding: try JSONEncoder().encode(transitions), as: UTF8.self)
            + String(decoding: try JSONEncoder().encode(failed), as: UTF8.self)
        for replica in stack.replicas { #expect(!sent.contains(":\(replica.port)"), "a replica's address was shown") }
        #expect(!sent.contains(stores.postgres.password))
        #expect(try await stack.gateway.terminate() == 0)
        let lines = stack.gateway.log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(entry?["service"] as? String == "gateway", "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains(#""message":"gateway health changed""#) && $0.contains(#""to":"fail""#) })
    }

    @Test func addressesOnlyWhenConfigured() async throws {
        let stack = try await EndToEndServers(.shared()).startStack(gatewayEnvironment: ["STATUS_SHOW_ADDRESSES": "true"])
        let viewer = try await Self.open(stack)
        let snapshot = try await Self.status(viewer)
        #expect(snapshot.replicas.compactMap(\.address) == stack.replicas.map { "http://127.0.0.1:\($0.port)" })
    }

    /// Viewers add no call downstream: with one poll round in ten minutes,
    /// viewers that connect get the poller's last results, and data-api
    /// counts no `/health` request more.
    @Test func viewersMakeNoDownstreamCalls() async throws {
        let stack = try await EndToEndServers(.shared()).startStack(gatewayEnvironment: ["UPSTREAM_HEALTH_INTERVAL_MS": "600000"])
        let before = try await self.healthRequests(stack)
        var viewers: [EventStreamClient] = []
        for _ in 0..<5 {
            let viewer = try await Self.open(stack)
            let snapshot = try await Self.status(viewer)
            #expect(snapshot.replicas.count == 2)
            viewers.append(viewer)
        }
        #expect(try await self.healthRequests(stack) == before)
        #expect(before.allSatisfy { $0 >= 1 }, "the poller's first round reached every replica")
    }

    /// `GET /health` requests each replica has served (from its `/metrics`).
    func healthRequests(_ stack: EndToEndServers.Stack) async throws -> [Int] {
        var counts: [Int] = []
        for replica in stack.replicas {
            let metrics = try await EndToEndServers.get("http://127.0.0.1:\(replica.port)/metrics").body
            let lines = metrics.split(separator: "\n").filter { $0.hasPrefix("http_requests_total{") && $0.contains(#"route="/health""#) }
            counts.append(lines.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +))
        }
        return counts
    }

    /// Over `STATUS_MAX_VIEWERS` a viewer gets a 503 problem; a viewer that
    /// closes its socket frees its slot, and the next viewer gets in.
    @Test func viewerCapAndAClosedViewerFreesItsSlot() async throws {
        let stack = try await EndToEndServers(.shared()).startStack(gatewayEnvironment: ["STATUS_MAX_VIEWERS": "2"])
        // HEAD has no body, so no stream: it takes no slot.
        for _ in 0..<3 { #expect(try await EndToEndServers.send(.HEAD, stack.base + "/health/events").status == 200) }
        let first = try await Self.open(stack)
        let second = try await Self.open(stack)
        _ = try await Self.status(first)
        _ = try await Self.status(second)
        let refused = try await Self.open(stack)
        #expect(refused.status == 503)
        #expect(refused.headers["content-type"] == "application/problem+json")
        #expect(refused.headers["retry-after"] != nil)
        #expect(try await offloaded { try refused.remainingBody() }.contains("STATUS_MAX_VIEWERS"))
        refused.close()

        first.close()
        // The gateway notices at its next write to the closed socket (one a second at least).
        try await waitUntil("a slot freed by the closed viewer") {
            let viewer = try await Self.open(stack)
            defer { viewer.close() }
            return viewer.status == 200
        }
        // The other viewer still gets events.
        _ = try await Self.status(second)
    }

    /// SIGTERM with a viewer connected: the stream ends and the gateway exits cleanly.
    @Test func shutdownEndsOpenStreams() async throws {
        let stack = try await EndToEndServers(.shared()).startStack()
        let viewer = try await Self.open(stack)
        _ = try await Self.status(viewer)
        #expect(try await stack.gateway.terminate() == 0)
        // It ends (a read that waited past its timeout would throw).
        try await offloaded { while try viewer.next() != nil {} }
    }
}
