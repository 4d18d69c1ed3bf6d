import Foundation
import Testing

@testable import resilience_demo

/// What .ci/compose-e2e reads through `resilience-demo compose`.
struct ComposeChecksTests {
    static func containers(_ entries: [(id: String, name: String, service: String, started: String)]) throws -> [ComposeChecks.Container] {
        let json = entries.map { entry in
            #"{"Id":"\#(entry.id)","Name":"\#(entry.name)","Config":{"Labels":{"com.docker.compose.service":"\#(entry.service)"}},"State":{"StartedAt":"\#(entry.started)"}}"#
        }
        return try JSONDecoder().decode([ComposeChecks.Container].self, from: Data("[\(json.joined(separator: ","))]".utf8))
    }

    @Test func podmansTimesToTheNanosecond() throws {
        let base = try #require(ComposeChecks.epochSeconds("2026-12-04T20:35:03Z"))
        #expect(ComposeChecks.epochSeconds("2026-12-04T20:35:03.250000000Z") == base + 0.25)
        #expect(ComposeChecks.epochSeconds("2026-12-04T21:35:03.5+01:00") == base + 0.5)
        #expect(ComposeChecks.epochSeconds("2026-12-04T20:35:03.123456789 +0000 UTC") != nil)
        #expect(ComposeChecks.epochSeconds("not a time") == nil)
    }

    @Test func startOrderFollowsHealth() throws {
        let containers = try Self.containers([
            ("aaaaaaaaaaaa1", "pg", "postgres", "2026-12-04T20:00:00Z"),
            ("bbbbbbbbbbbb2", "redis", "redis", "2026-12-04T20:00:00Z"),
            ("cccccccccccc3", "api-1", "data-api", "2026-12-04T20:00:05Z"),
            ("dddddddddddd4", "api-2", "data-api", "2026-12-04T20:00:05Z"),
            ("eeeeeeeeeeee5", "gw", "gateway", "2026-12-04T20:00:09Z"),
        ])
        let start = try #require(ComposeChecks.epochSeconds("2026-12-04T20:00:00Z"))
        // Ticks are `EPOCH_S ID STATUS`, ids short or long: postgres healthy at +2 s, redis +3 s, the replicas +8 s, the gateway +10 s.
        let ticks = [
            "\(start + 1) aaaaaaaaaaaa 1", "\(start + 2) aaaaaaaaaaaa 0", "\(start + 3) bbbbbbbbbbbb2 0",
            "\(start + 8) cccccccccccc 0", "\(start + 8) dddddddddddd 0", "\(start + 10) eeeeeeeeeeee 0",
        ].joined(separator: "\n")
        let lines = ComposeChecks.startOrder(containers, ticks: ticks)
        #expect(lines.filter { $0.hasPrefix("ERR") } == [])
        #expect(lines.contains("ALL 10.0"))
        #expect(lines.first { $0.hasPrefix("INFO gw ") }?.hasSuffix("started +9.00s  healthy +10.00s") == true)

        // The gateway started before the replicas were healthy, and one replica is missing.
        let early = try Self.containers([
            ("aaaaaaaaaaaa1", "pg", "postgres", "2026-12-04T20:00:00Z"), ("bbbbbbbbbbbb2", "redis", "redis", "2026-12-04T20:00:00Z"),
            ("cccccccccccc3", "api-1", "data-api", "2026-12-04T20:00:05Z"), ("eeeeeeeeeeee5", "gw", "gateway", "2026-12-04T20:00:06Z"),
        ])
        let errors = ComposeChecks.startOrder(early, ticks: ticks).filter { $0.hasPrefix("ERR") }
        #expect(errors.contains("ERR 1 data-api replicas, expected 2"))
        #expect(errors.contains { $0.hasPrefix("ERR gw started at") && $0.contains("before api-1 was healthy") })
    }
}
