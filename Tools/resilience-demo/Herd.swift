import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// The cold-cache herd: right after Redis came back empty, many concurrent
/// reads of a few hot items through the gateway, while PostgreSQL answers
/// slowly (the fault proxy's latency: every read of the herd arrives while
/// the first query for its item is in flight) and the steady load is paused.
/// It counts the PostgreSQL queries the herd cost, from data-api's
/// `item_database_reads_total` over every replica: single-flight reads make
/// that one per item and replica, not one per request.
struct Herd: Sendable {
    struct Result: Codable, Sendable {
        var requests: Int
        var failed: Int
        var items: Int
        var replicas: Int
        /// PostgreSQL queries for the herd's items; `nil` when unread.
        var queries: Int?
        var durationMs: Int
        /// Answers by data-api's `X-Cache` (hit, miss, bypass; none for an error).
        var byCache: [String: Int]

        /// What single-flight reads allow: one query per item and replica,
        /// and once more when a read lands between a query's end and the
        /// cache's write of its answer.
        var queryBound: Int { 2 * self.items * self.replicas }
    }

    static let itemCount = 3
    static let readsPerItem = 100
    static let postgresLatencyMs = 100

    let client: HTTPClient
    let gatewayURL: String
    let replicaURLs: [String]
    let itemIDs: [Int]
    let timeoutMs: Int

    func run() async -> Result {
        let before = await ReplicaCounters.read(self.client, replicaURLs: self.replicaURLs)
        let started = ContinuousClock.now
        let answers = await withTaskGroup(of: Exchange.self, returning: [Exchange].self) { group in
            for id in self.itemIDs {
                for _ in 0..<Self.readsPerItem {
                    group.addTask { await Exchange.perform(self.client, .GET, "\(self.gatewayURL)/api/items/\(id)", timeoutMs: self.timeoutMs) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let durationMs = Int((ContinuousClock.now - started).milliseconds.rounded())
        let after = await ReplicaCounters.read(self.client, replicaURLs: self.replicaURLs)
        let queries = before.flatMap { before in after?.since(before)?.itemDatabaseReads }
        return Result(
            requests: answers.count, failed: answers.filter { $0.status != 200 }.count, items: self.itemIDs.count, replicas: self.replicaURLs.count,
            queries: queries, durationMs: durationMs, byCache: answers.reduce(into: [:]) { $0[$1.cache ?? "none", default: 0] += 1 }
        )
    }

    /// Waits until every replica's Redis check passes again (Redis was
    /// restarted): then a miss is stored, and the herd meets an empty cache
    /// that works.
    static func waitForCache(_ client: HTTPClient, replicaURLs: [String], within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var passing = 0
            for url in replicaURLs {
                let exchange = await Exchange.perform(client, .GET, url + "/health", timeoutMs: 1000)
                let body = try? JSONDecoder().decode(HealthReport.self, from: exchange.body)
                if body?.checks?["redis:responseTime"]?.first?.status == .pass { passing += 1 }
            }
            if passing == replicaURLs.count { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
