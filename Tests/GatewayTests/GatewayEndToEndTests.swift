import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// End to end with the real stack (``EndToEndServers``): the built `gateway`
/// and two `data-api` processes in front of real PostgreSQL and Redis.
@Suite(.serialized) struct GatewayEndToEndTests {
    @Test func crudThroughTheGatewayAndAReplicaCrash() async throws {
        // Stores of its own: every GET after the crash must land within the
        // deadline, which other tests' work on shared servers (databases
        // created and migrated) made slower 2 runs in 27.
        let stack = try await EndToEndServers(.own()).startStack()
        let created = try await EndToEndServers.send(.POST, stack.base + "/api/items", body: #"{"name":"through the gateway"}"#)
        #expect(created.status == 201)
        let location = try #require(created.headers.first(name: "Location"))
        #expect(created.headers.first(name: "X-Request-ID") != nil)
        #expect(try await EndToEndServers.get(stack.base + location).status == 200)
        #expect(try await EndToEndServers.send(.PUT, stack.base + location, body: #"{"name":"renamed"}"#).status == 200)

        stack.replicas[0].kill()
        var statuses: [Int] = []
        for _ in 0..<40 { statuses.append(try await EndToEndServers.get(stack.base + location).status) }
        #expect(statuses.allSatisfy { $0 == 200 }, "a GET failed after a replica crash: \(statuses)")
        #expect(try await EndToEndServers.send(.DELETE, stack.base + location).status == 204)
        try await waitUntil("gateway warns about the lost replica") { try await EndToEndServers.report(stack.base + "/health").status == .warn }
    }

    /// A client's mistake is a 4xx problem through the gateway too, never a
    /// 500: a name within 200 grapheme clusters but over 200 code points (a
    /// 500 when validation and PostgreSQL counted differently), a method a
    /// path doesn't declare (405 with Allow).
    @Test func clientErrorsStayClientErrorsThroughTheGateway() async throws {
        let stack = try await EndToEndServers(.shared()).startStack()
        let accent = "e\u{301}"
        let over = try await EndToEndServers.send(.POST, stack.base + "/api/items", body: #"{"name":"\#(String(repeating: accent, count: 200))"}"#)
        #expect(over.status == 422)
        #expect(over.headers.first(name: "Content-Type") == "application/problem+json")
        let within = try await EndToEndServers.send(.POST, stack.base + "/api/items", body: #"{"name":"\#(String(repeating: accent, count: 100))"}"#)
        #expect(within.status == 201)
        let location = try #require(within.headers.first(name: "Location"))
        let update = try await EndToEndServers.send(.PUT, stack.base + location, body: #"{"name":"n","description":"\#(String(repeating: accent, count: 1001))"}"#)
        #expect(update.status == 422)

        // 405 with Allow: the gateway's own paths from the gateway, /api/*
        // from data-api through the proxy; unknown paths stay 404.
        let undeclared: [(HTTPMethod, String, String)] = [
            (.TRACE, "/health", "GET, HEAD, OPTIONS"), (.POST, "/health/ready", "GET, HEAD, OPTIONS"),
            (.TRACE, "/api/data", "GET, HEAD, OPTIONS"), (.DELETE, "/api/items", "GET, HEAD, POST, OPTIONS"),
            (.PATCH, location, "GET, HEAD, PUT, DELETE, OPTIONS"),
        ]
        for (method, path, allow) in undeclared {
            let response = try await EndToEndServers.send(method, stack.base + path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.headers.first(name: "Allow") == allow, "\(method) \(path)")
            #expect(response.headers.first(name: "Content-Type") == "application/problem+json", "\(method) \(path)")
        }
        #expect(try await EndToEndServers.send(.TRACE, stack.base + "/nothing").status == 404)
        #expect(try await EndToEndServers.send(.TRACE, stack.base + "/api/nothing").status == 404)
    }

    @Test func aRetriedKeyedPostCreatesExactlyOneItem() async throws {
        let stores = try await DataStores.shared()
        let stack = try await EndToEndServers(stores).startStack()
        let key = UUID().uuidString
        let first = try await EndToEndServers.send(.POST, stack.base + "/api/items", body: #"{"name":"exactly once"}"#, headers: [("Idempotency-Key", key)])
        #expect(first.status == 201)
        // The client's retry after a lost answer, through another replica.
        stack.replicas[0].kill()
        let retry = try await EndToEndServers.send(.POST, stack.base + "/api/items", body: #"{"name":"exactly once"}"#, headers: [("Idempotency-Key", key)])
        #expect(retry.status == 201)
        #expect(retry.headers.first(name: "Location") == first.headers.first(name: "Location"))
        #expect(try stores.postgres.psql("SELECT count(*) FROM items WHERE name = 'exactly once'") == "1")
    }

    @Test func postgresDownShowsInsideTheUpstreamEntries() async throws {
        let stores = try await DataStores.own()
        let stack = try await EndToEndServers(stores).startStack()
        let postgres = stores.postgres.server
        try await offloaded { try postgres.stop(mode: "immediate") }
        defer { try? postgres.start() }
        try await waitUntil("gateway fail") { try await EndToEndServers.report(stack.base + "/health").status == .fail }
        let report = try await EndToEndServers.report(stack.base + "/health")
        let entries = try #require(report.checks?["upstream:responseTime"])
        #expect(entries.count == 2)
        for entry in entries {
            #expect(entry.status == .fail)
            #expect(entry.checks?["postgres:responseTime"]?.first?.status == .fail)
            #expect(entry.checks?["postgres:responseTime"]?.first?.output != nil)
        }
        try await offloaded { try postgres.start() }
        try await waitUntil("gateway pass again") { try await EndToEndServers.report(stack.base + "/health").status == .pass }
    }
}
