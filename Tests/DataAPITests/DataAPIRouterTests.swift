import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import TestSupport
import Testing

@testable import DataAPI

/// The production app (``buildApplication``) driven in-process, against
/// databases of its own on the shared PostgreSQL and Redis (``DataStores``);
/// with either of them down: ``DataAPIOutageTests``.
@Suite(.serialized) struct DataAPIRouterTests {
    let stores: DataStores

    init() async throws {
        self.stores = try await DataStores.shared()
    }

    @Test func originalEndpoint() async throws {
        try await self.stores.withApp { client in
            let response = try await client.json(.get, "/api/data")
            #expect(response.status == .ok)
            #expect(response.text == #"{"message":"Hello from the microservice!"}"#)
        }
    }

    /// Concurrent reads of one item missing from the cache cost PostgreSQL
    /// one query, not one each (a cache stampede). The table is locked for
    /// two seconds from another session, so every read arrives while the
    /// first one's query waits; and a read after an update is not served by a query
    /// that began before it.
    @Test func concurrentReadsOfOneItemShareOneQuery() async throws {
        try await self.stores.withApp { client in
            let item = try await client.json(.post, "/api/items", #"{"name":"hot"}"#).decode(Item.self)
            let postgres = self.stores.postgres
            try await offloaded { try postgres.psql("SELECT 'stampede-start'") }
            let lock = Task { try await offloaded { try postgres.psql("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;") } }
            try await waitUntil("the table locked") {
                try await offloaded {
                    try postgres.psql("SELECT count(*) FROM pg_locks WHERE relation = 'items'::regclass AND mode = 'AccessExclusiveLock' AND granted")
                } == "1"
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await client.json(.get, "/api/items/\(item.id)").status } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            _ = try await lock.value
            try await offloaded { try postgres.psql("SELECT 'stampede-end'") }
            #expect(statuses == Array(repeating: .ok, count: 20))
            let queries = try postgres.received("FROM items WHERE id = $1", between: "stampede-start", and: "stampede-end")
            #expect(queries == 1, "\(queries) queries for 20 concurrent reads of one item")
            // Read your write: the update's version, not a read begun before it.
            let updated = try await client.json(.put, "/api/items/\(item.id)", #"{"name":"hotter"}"#)
            #expect(updated.status == .ok)
            #expect(try await client.json(.get, "/api/items/\(item.id)").decode(Item.self).name == "hotter")
        }
    }

    @Test func crudRoundTripWithCacheAndVersions() async throws {
        try await self.stores.withApp { client in
            let created = try await client.json(.post, "/api/items", #"{"name":"Widget","description":"blue"}"#)
            #expect(created.status == .created)
            let item = try created.decode(Item.self)
            #expect(created.headers[.location] == "/api/items/\(item.id)")
            #expect(item.version == 1)
            #expect(item.description == "blue")

            let miss = try await client.json(.get, "/api/items/\(item.id)")
            #expect(miss.headers[.xCache] == "miss")
            #expect(try miss.decode(Item.self) == item)
            let hit = try await client.json(.get, "/api/items/\(item.id)")
            #expect(hit.headers[.xCache] == "hit")
            #expect(try hit.decode(Item.self) == item)
            #expect(hit.headers[.eTag] == "\"1\"")

            let stale = try await client.json(.put, "/api/items/\(item.id)", #"{"name":"Gadget"}"#, headers: [.ifMatch: "\"7\""])
            #expect(stale.status == .preconditionFailed)
            #expect(stale.headers[.contentType] == "application/problem+json")
            let updated = try await client.json(.put, "/api/items/\(item.id)", #"{"name":"Gadget"}"#, headers: [.ifMatch: "\"1\""])
            #expect(updated.status == .ok)
            #expect(try updated.decode(Item.self).version == 2)
            #expect(try updated.decode(Item.self).description == nil)

            let afterUpdate = try await client.json(.get, "/api/items/\(item.id)")
            #expect(afterUpdate.headers[.xCache] == "miss", "the update invalidated the cache")
            #expect(try afterUpdate.decode(Item.self).name == "Gadget")

            #expect(try await client.json(.delete, "/api/items/\(item.id)").status == .noContent)
            #expect(try await client.json(.get, "/api/items/\(item.id)").status == .notFound)
            #expect(try await client.json(.delete, "/api/items/\(item.id)").status == .notFound)
            #expect(try self.stores.redis.cli(["EXISTS", ItemCache.key(item.id)]) == "0")
        }
    }

    @Test func keysetPagination() async throws {
        try await self.stores.withApp { client in
            var ids: [Int] = []
            for index in 0..<5 {
                ids.append(try await client.json(.post, "/api/items", #"{"name":"item \#(index)"}"#).decode(Item.self).id)
            }
            let first = try await client.json(.get, "/api/items?limit=2").decode(ItemPage.self)
            #expect(first.items.map(\.id) == Array(ids.prefix(2)))
            let second = try await client.json(.get, "/api/items?limit=2&after=\(try #require(first.nextAfter))").decode(ItemPage.self)
            #expect(second.items.map(\.id) == Array(ids[2..<4]))
            let last = try await client.json(.get, "/api/items?limit=100&after=\(ids[3])").decode(ItemPage.self)
            #expect(last.items.map(\.id) == [ids[4]])
            #expect(last.nextAfter == nil)
            for bad in ["limit=0", "limit=101", "limit=abc", "after=-1", "after=x"] {
                let response = try await client.json(.get, "/api/items?\(bad)")
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func badInputGetsAClearProblemAndChangesNothing() async throws {
        try await self.stores.withApp { client in
            let before = try self.stores.postgres.psql("SELECT count(*) FROM items")
            let cases: [(HTTPRequest.Method, String, String?, HTTPFields, HTTPResponse.Status)] = [
                (.post, "/api/items", "{not json", [:], .badRequest),
                (.post, "/api/items", #"{"name": 12}"#, [:], .badRequest),
                (.post, "/api/items", #"{"name":"x"}"#, [.contentType: "text/plain"], .unsupportedMediaType),
                (.post, "/api/items", #"{"name":""# + String(repeating: "x", count: 70_000) + #""}"#, [:], .contentTooLarge),
                (.post, "/api/items", #"{"description":"no name"}"#, [:], .unprocessableContent),
                (.post, "/api/items", #"{"name":"\#(String(repeating: "n", count: 201))"}"#, [:], .unprocessableContent),
                (.get, "/api/items/abc", nil, [:], .badRequest),
                (.get, "/api/items/-4", nil, [:], .badRequest),
                (.get, "/api/items/99999999999999999999999", nil, [:], .badRequest),
                (.get, "/api/items/424242", nil, [:], .notFound),
                (.put, "/api/items/424242", #"{"name":"x"}"#, [:], .notFound),
                (.get, "/api/nothing-here", nil, [:], .notFound),
                (.patch, "/api/items/1", "{}", [:], .methodNotAllowed),
            ]
            for (method, uri, body, headers, expected) in cases {
                let response = try await client.json(method, uri, body, headers: headers)
                #expect(response.status == expected, "\(method) \(uri)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(method) \(uri)")
            }
            let validation = try await client.json(.post, "/api/items", #"{"name":"","description":"\#(String(repeating: "d", count: 2001))"}"#)
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: validation.body)) as? [String: Any])
            let fields = (problem["errors"] as? [[String: String]])?.compactMap { $0["field"] }
            #expect(fields == ["name", "description"])
            #expect(try self.stores.postgres.psql("SELECT count(*) FROM items") == before)
        }
    }

    /// Lengths are Unicode code points, as PostgreSQL counts them: a value
    /// within the limit is stored as sent, one over it is a 422 (these were
    /// 500s when validation counted grapheme clusters), for POST and PUT,
    /// name and description.
    @Test func lengthsCountCodePointsLikePostgreSQL() async throws {
        let accent = "e\u{301}"  // one character on screen, two code points
        let flag = "\u{1F1EB}\u{1F1F7}"  // 🇫🇷: two code points
        @Sendable func body(name: String, description: String? = nil) throws -> String {
            var object = ["name": name]
            if let description { object["description"] = description }
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        try await self.stores.withApp { client in
            let within = [
                try body(name: String(repeating: accent, count: 100)),
                try body(name: String(repeating: flag, count: 100)),
                try body(name: String(repeating: "a", count: 198) + "\u{1F44D}\u{1F3FD}"),
                try body(name: "n", description: String(repeating: accent, count: 1000)),
            ]
            let over = [
                (try body(name: String(repeating: accent, count: 200)), "name"),
                (try body(name: String(repeating: flag, count: 150)), "name"),
                (try body(name: String(repeating: "a", count: 199) + "\u{1F44D}\u{1F3FD}"), "name"),
                (try body(name: "n", description: String(repeating: accent, count: 1001)), "description"),
            ]
            let existing = try await client.json(.post, "/api/items", #"{"name":"to update"}"#).decode(Item.self)
            for method in [HTTPRequest.Method.post, .put] {
                let uri = method == .post ? "/api/items" : "/api/items/\(existing.id)"
                for json in within {
                    let response = try await client.json(method, uri, json)
                    #expect(response.status == (method == .post ? .created : .ok), "\(method) \(json.prefix(40))")
                    let sent = try JSONDecoder().decode(ItemInput.self, from: Data(json.utf8))
                    let stored = try response.decode(Item.self)
                    #expect(stored.name == sent.name && stored.description == sent.description, "stored as sent")
                }
                for (json, field) in over {
                    let response = try await client.json(method, uri, json)
                    #expect(response.status == .unprocessableContent, "\(method) \(json.prefix(40))")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(response.text.contains(#""field":"\#(field)""#))
                }
            }
            let nul = try await client.json(.post, "/api/items", #"{"name":"a\u0000b","description":"c\u0000"}"#)
            #expect(nul.status == .unprocessableContent)
            #expect(nul.text.contains(#""field":"name""#) && nul.text.contains(#""field":"description""#))
        }
    }

    /// `If-Match` is a list of entity-tags: the update happens when one of
    /// them is the item's version; one beyond PostgreSQL's integer, or a tag
    /// that is no version at all, never matches (412, not a 500 or a 400).
    @Test func ifMatchIsAListOfEntityTags() async throws {
        try await self.stores.withApp { client in
            let item = try await client.json(.post, "/api/items", #"{"name":"versioned"}"#).decode(Item.self)
            for ifMatch in [#""99999999999""#, "garbage", #""abc", W/"x""#, "0"] {
                let response = try await client.json(.put, "/api/items/\(item.id)", #"{"name":"x"}"#, headers: [.ifMatch: ifMatch])
                #expect(response.status == .preconditionFailed, "If-Match: \(ifMatch)")
                #expect(response.headers[.eTag] == "\"1\"")
            }
            let listed = try await client.json(.put, "/api/items/\(item.id)", #"{"name":"x"}"#, headers: [.ifMatch: #""7", W/"1""#])
            #expect(listed.status == .ok)
            #expect(try listed.decode(Item.self).version == 2)
        }
    }

    @Test func idempotencyKeyCreatesExactlyOnce() async throws {
        try await self.stores.withApp { client in
            let key = UUID().uuidString
            let first = try await client.json(.post, "/api/items", #"{"name":"once"}"#, headers: [.idempotencyKey: key])
            #expect(first.status == .created)
            let again = try await client.json(.post, "/api/items", #"{"name":"once"}"#, headers: [.idempotencyKey: key])
            #expect(again.status == .created)
            #expect(again.headers[.location] == first.headers[.location])
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(again.text == first.text)
            #expect(try self.stores.postgres.psql("SELECT count(*) FROM items WHERE name = 'once'") == "1")
            let reused = try await client.json(.post, "/api/items", #"{"name":"different"}"#, headers: [.idempotencyKey: key])
            #expect(reused.status == .unprocessableContent)
        }
    }

    @Test func concurrentRetriesWithOneKeyCreateOneItem() async throws {
        try await self.stores.withApp { client in
            let key = UUID().uuidString
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.json(.post, "/api/items", #"{"name":"race"}"#, headers: [.idempotencyKey: key]).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created })
            #expect(try self.stores.postgres.psql("SELECT count(*) FROM items WHERE name = 'race'") == "1")
        }
    }

    @Test func adminChaosNeedsTheTokenAndInjectsFaults() async throws {
        let token = "admin-token-0123456789abcdef"
        try await self.stores.withApp(["ADMIN_TOKEN": token]) { client in
            #expect(try await client.json(.put, "/admin/chaos", #"{"errorRate":1,"latencyMs":0}"#).status == .unauthorized)
            let wrong = try await client.json(.put, "/admin/chaos", #"{"errorRate":1,"latencyMs":0}"#, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            #expect(!wrong.text.contains(token))
            let invalid = try await client.json(.put, "/admin/chaos", #"{"errorRate":2,"latencyMs":0}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(invalid.status == .unprocessableContent)
            let badWedge = try await client.json(.put, "/admin/chaos", #"{"errorRate":0,"latencyMs":0,"wedgeMs":-1}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(badWedge.status == .unprocessableContent)
            #expect(badWedge.text.contains("wedgeMs"))
            let noWedge = try await client.json(.put, "/admin/chaos", #"{"errorRate":0,"latencyMs":0,"wedgeMs":0}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(noWedge.status == .ok)
            let on = try await client.json(.put, "/admin/chaos", #"{"errorRate":1,"latencyMs":0}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(on.status == .ok)
            let faulted = try await client.json(.get, "/api/data")
            #expect(faulted.status == .internalServerError)
            #expect(faulted.headers[.contentType] == "application/problem+json")
            #expect(try await client.json(.get, "/health/ready").status == .ok, "faults apply to /api only")
            _ = try await client.json(.put, "/admin/chaos", #"{"errorRate":0,"latencyMs":0}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(try await client.json(.get, "/api/data").status == .ok)
            // A poison path: that path alone fails, every time.
            let badPath = try await client.json(.put, "/admin/chaos", #"{"errorRate":0,"latencyMs":0,"failPath":"/admin/chaos"}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(badPath.status == .unprocessableContent)
            #expect(badPath.text.contains("failPath"))
            let poison = try await client.json(.put, "/admin/chaos", #"{"errorRate":0,"latencyMs":0,"failPath":"/api/items/7"}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(poison.status == .ok)
            #expect(poison.text.contains(#""failPath":"\/api\/items\/7""#) || poison.text.contains(#""failPath":"/api/items/7""#), "\(poison.text)")
            for _ in 0..<3 {
                let failed = try await client.json(.get, "/api/items/7?fields=all")
                #expect(failed.status == .internalServerError)
                #expect(failed.text.contains(#""title":"Injected fault""#))
            }
            #expect(try await client.json(.get, "/api/items/8").status == .notFound, "other paths are untouched")
            #expect(try await client.json(.get, "/api/data").status == .ok)
            _ = try await client.json(.put, "/admin/chaos", #"{"errorRate":0,"latencyMs":0}"#, headers: [.authorization: "Bearer \(token)"])
            #expect(try await client.json(.get, "/api/items/7").status == .notFound, "a PUT without failPath clears it")
        }
        try await self.stores.withApp { client in
            let status = try await client.json(.put, "/admin/chaos", "{}").status
            #expect(status == .notFound, "no admin routes without ADMIN_TOKEN")
        }
    }

    /// Every path answers a method it doesn't declare with 405 and its
    /// `Allow`; unknown paths stay 404.
    @Test func undeclaredMethodsAre405WithAllow() async throws {
        try await self.stores.withApp(["ADMIN_TOKEN": "admin-token-0123456789abcdef"]) { client in
            let paths = [
                ("/api/data", "GET, HEAD, OPTIONS"), ("/api/items", "GET, HEAD, POST, OPTIONS"),
                ("/api/items/1", "GET, HEAD, PUT, DELETE, OPTIONS"), ("/health", "GET, HEAD, OPTIONS"),
                ("/health/live", "GET, HEAD, OPTIONS"), ("/health/ready", "GET, HEAD, OPTIONS"),
                ("/health/startup", "GET, HEAD, OPTIONS"), ("/metrics", "GET, HEAD, OPTIONS"),
                ("/admin/chaos", "GET, HEAD, PUT, OPTIONS"), ("/openapi.yaml", "GET, HEAD, OPTIONS"),
            ]
            for (path, allow) in paths {
                let response = try await client.json(.trace, path)
                #expect(response.status == .methodNotAllowed, "\(path)")
                #expect(response.headers[.allow] == allow, "\(path)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(path)")
            }
            #expect(try await client.json(.head, "/api/data").status == .ok)
            #expect(try await client.json(.trace, "/api/nothing").status == .notFound)
            #expect(try await client.json(.trace, "/nothing").status == .notFound)
        }
    }

    @Test func probesNeverReachPostgres() async throws {
        // A long interval: the background check runs about once during the test.
        try await self.stores.withApp(["HEALTH_INTERVAL_MS": "5000"]) { client in
            try self.stores.postgres.psql("SELECT 'probe-count-start'")
            for _ in 0..<1000 {
                #expect(try await client.json(.get, "/health/ready").status == .ok)
            }
            for _ in 0..<100 {
                #expect(try await client.json(.get, "/health").status == .ok)
            }
            try self.stores.postgres.psql("SELECT 'probe-count-end'")
            let statements = try self.stores.postgres.loggedStatements(between: "probe-count-start", and: "probe-count-end")
            // At most the background check's own SELECT 1 (one per interval).
            #expect(statements.count <= 2, "\(statements.count) statements reached PostgreSQL during 1,100 probes")
        }
    }
}
