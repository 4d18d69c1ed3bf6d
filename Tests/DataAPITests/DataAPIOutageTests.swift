import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import TestSupport
import Testing

@testable import DataAPI

/// The production app (``buildApplication``) driven in-process while its
/// PostgreSQL or Redis is down: at start-up, and stopped under it. The
/// servers are the test's own (``DataStores/own()``), since it stops them.
@Suite(.serialized) struct DataAPIOutageTests {
    let stores: DataStores

    init() async throws {
        self.stores = try await DataStores.own()
    }

    /// Before its schema is there, data-api answers what needs it with a
    /// 503 "Starting" (a request in that window used to meet a missing
    /// table: 500).
    @Test func itemRoutesWaitForStartUp() async throws {
        try self.stores.postgres.server.stop()
        defer { try? self.stores.postgres.server.start() }
        let app = buildApplication(try self.stores.configuration(), logger: Logger(label: "data-api-test"))
        try await app.test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/api/items"), (.get, "/api/items/1"), (.post, "/api/items")] {
                let response = try await client.json(method, uri, method == .post ? #"{"name":"x"}"# : nil)
                #expect(response.status == .serviceUnavailable, "\(method) \(uri)")
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.text.contains(#""title":"Starting""#), "\(method) \(uri): \(response.text)")
            }
            #expect(try await client.json(.get, "/api/data").status == .ok)
        }
    }

    /// The first item request the start-up gate lets through finds data-api
    /// ready: the gate opens only after a PostgreSQL check run that follows
    /// the schema. With a one-minute check interval the periodic run that
    /// failed while PostgreSQL was down would otherwise report `fail` for a
    /// minute while `/api/items` already answered `200` (kube-e2e saw this
    /// window, one second wide, once: the gateway answered 200 while
    /// data-api was not ready).
    @Test func readyByTheFirstItemResponse() async throws {
        try self.stores.postgres.server.stop()
        defer { try? self.stores.postgres.server.start() }
        let configuration = try self.stores.configuration(["HEALTH_INTERVAL_MS": "60000"])
        let app = buildApplication(configuration, logger: Logger(label: "data-api-test"))
        try await app.test(.router) { client in
            #expect(try await client.json(.get, "/api/items").status == .serviceUnavailable)
            #expect(try await client.json(.get, "/health/ready").status == .serviceUnavailable)
            try self.stores.postgres.server.start()
            try await waitUntil("the first item response") { try await client.json(.get, "/api/items").status == .ok }
            let ready = try await client.json(.get, "/health/ready")
            #expect(ready.status == .ok, "\(ready.text)")
        }
    }

    @Test func redisDownMeansBypassAndWarnButStillReady() async throws {
        try await self.stores.withApp { client in
            let item = try await client.json(.post, "/api/items", #"{"name":"cached"}"#).decode(Item.self)
            try await offloaded { [redis = self.stores.redis.server] in try redis.stop() }
            defer { try? self.stores.redis.server.start() }
            try await waitUntil("health warn") {
                try await client.json(.get, "/health").decode(HealthReport.self).status == .warn
            }
            let health = try await client.json(.get, "/health")
            #expect(health.status == .ok)
            #expect(try health.decode(HealthReport.self).checks?["redis:responseTime"]?.first?.status == .fail)
            #expect(try await client.json(.get, "/health/ready").status == .ok)
            let read = try await client.json(.get, "/api/items/\(item.id)")
            #expect(read.status == .ok)
            #expect(read.headers[.xCache] == "bypass")
            #expect(try await client.json(.put, "/api/items/\(item.id)", #"{"name":"still writable"}"#).status == .ok)
            try await offloaded { [redis = self.stores.redis.server] in try redis.start() }
            try await waitUntil("health pass") {
                try await client.json(.get, "/health").decode(HealthReport.self).status == .pass
            }
            #expect(try await client.json(.get, "/api/items/\(item.id)").headers[.xCache] == "miss")
        }
    }

    @Test func postgresDownServesCachedReadsAndRefusesWrites() async throws {
        try await self.stores.withApp { client in
            let item = try await client.json(.post, "/api/items", #"{"name":"survivor"}"#).decode(Item.self)
            _ = try await client.json(.get, "/api/items/\(item.id)")  // fills the cache
            try await offloaded { [postgres = self.stores.postgres.server] in try postgres.stop(mode: "immediate") }
            defer { try? self.stores.postgres.server.start() }
            try await waitUntil("not ready") { try await client.json(.get, "/health/ready").status == .serviceUnavailable }
            #expect(try await client.json(.get, "/health").status == .serviceUnavailable)
            #expect(try await client.json(.get, "/health/live").status == .ok)
            let cached = try await client.json(.get, "/api/items/\(item.id)")
            #expect(cached.status == .ok)
            #expect(cached.headers[.xCache] == "hit")
            let write = try await client.json(.post, "/api/items", #"{"name":"lost?"}"#)
            #expect(write.status == .serviceUnavailable)
            #expect(write.headers[.retryAfter] != nil)
            #expect(write.headers[.contentType] == "application/problem+json")
            #expect(!write.text.contains(String(self.stores.postgres.server.port)), "no data-store address in error bodies")
            #expect(try await client.json(.get, "/api/items?limit=5").status == .serviceUnavailable)
            try await offloaded { [postgres = self.stores.postgres.server] in try postgres.start() }
            try await waitUntil("ready again") { try await client.json(.get, "/health/ready").status == .ok }
            #expect(try await client.json(.post, "/api/items", #"{"name":"after"}"#).status == .created)
        }
    }
}
