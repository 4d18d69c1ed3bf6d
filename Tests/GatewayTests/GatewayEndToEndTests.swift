import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// End to end with the real stack: the built `gateway` and two `data-api`
/// processes (`GATEWAY_BIN`, `DATA_API_BIN`, set by `scripts/test`) in front
/// of real PostgreSQL and Redis.
@Suite(.serialized) struct GatewayEndToEndTests {
    let postgres: PostgresTestServer
    let redis: RedisTestServer

    init() async throws {
        self.postgres = try await offloaded { try PostgresTestServer() }
        self.redis = try await offloaded { try RedisTestServer() }
    }

    static func binary(_ variable: String) throws -> String {
        guard let path = ProcessInfo.processInfo.environment[variable], FileManager.default.isExecutableFile(atPath: path) else {
            throw TestServerError("\(variable) must name the built binary: run scripts/test")
        }
        return path
    }

    /// A service process, killed when released.
    final class Service: @unchecked Sendable {
        let pid: pid_t
        let port: Int
        private(set) var stopped = false

        init(_ binary: String, environment: [String: String]) throws {
            self.port = try freePort()
            self.pid = try spawnProcess([binary], environment: environment.merging(["HTTP_PORT": String(self.port)]) { $1 })
        }

        func kill(_ signal: Int32 = SIGKILL) {
            Glibc.kill(self.pid, signal)
            waitForExit(self.pid)
            self.stopped = true
        }

        deinit { if !self.stopped { self.kill() } }
    }

    struct Stack {
        let replicas: [Service]
        let gateway: Service
        var base: String { "http://127.0.0.1:\(self.gateway.port)" }
    }

    func startStack() async throws -> Stack {
        let dataAPI = try Self.binary("DATA_API_BIN")
        let environment = [
            "DATABASE_URL": self.postgres.url, "DATABASE_PASSWORD": self.postgres.password,
            "REDIS_URL": self.redis.url, "REDIS_PASSWORD": self.redis.password, "HEALTH_INTERVAL_MS": "100",
        ]
        let replicas = try (0..<2).map { _ in try Service(dataAPI, environment: environment) }
        for replica in replicas {
            try await waitUntil("data-api ready") { try await Self.get("http://127.0.0.1:\(replica.port)/health/ready").status == 200 }
        }
        let gateway = try Service(
            try Self.binary("GATEWAY_BIN"),
            environment: ["UPSTREAM_URLS": replicas.map { "http://127.0.0.1:\($0.port)" }.joined(separator: ","), "UPSTREAM_HEALTH_INTERVAL_MS": "100"]
        )
        let stack = Stack(replicas: replicas, gateway: gateway)
        try await waitUntil("gateway pass") { try await Self.report(stack.base + "/health").status == .pass }
        return stack
    }

    struct Result {
        let status: Int
        let body: String
        let headers: HTTPHeaders
    }

    static func get(_ url: String) async throws -> Result {
        try await Self.send(.GET, url)
    }

    static func send(_ method: HTTPMethod, _ url: String, body: String? = nil, headers: [(String, String)] = []) async throws -> Result {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return Result(status: Int(response.status.code), body: String(buffer: try await response.body.collect(upTo: 1 << 20)), headers: response.headers)
    }

    static func report(_ url: String) async throws -> HealthReport {
        try JSONDecoder().decode(HealthReport.self, from: Data(try await Self.get(url).body.utf8))
    }

    @Test func crudThroughTheGatewayAndAReplicaCrash() async throws {
        let stack = try await self.startStack()
        let created = try await Self.send(.POST, stack.base + "/api/items", body: #"{"name":"through the gateway"}"#)
        #expect(created.status == 201)
        let location = try #require(created.headers.first(name: "Location"))
        #expect(created.headers.first(name: "X-Request-ID") != nil)
        #expect(try await Self.get(stack.base + location).status == 200)
        #expect(try await Self.send(.PUT, stack.base + location, body: #"{"name":"renamed"}"#).status == 200)

        stack.replicas[0].kill()
        var statuses: [Int] = []
        for _ in 0..<40 { statuses.append(try await Self.get(stack.base + location).status) }
        #expect(statuses.allSatisfy { $0 == 200 }, "a GET failed after a replica crash: \(statuses)")
        #expect(try await Self.send(.DELETE, stack.base + location).status == 204)
        try await waitUntil("gateway warns about the lost replica") { try await Self.report(stack.base + "/health").status == .warn }
    }

    /// A client's mistake is a 4xx problem through the gateway too, never a
    /// 500: a name within 200 grapheme clusters but over 200 code points (a
    /// 500 when validation and PostgreSQL counted differently), a method a
    /// path doesn't declare (405 with Allow).
    @Test func clientErrorsStayClientErrorsThroughTheGateway() async throws {
        let stack = try await self.startStack()
        let accent = "e\u{301}"
        let over = try await Self.send(.POST, stack.base + "/api/items", body: #"{"name":"\#(String(repeating: accent, count: 200))"}"#)
        #expect(over.status == 422)
        #expect(over.headers.first(name: "Content-Type") == "application/problem+json")
        let within = try await Self.send(.POST, stack.base + "/api/items", body: #"{"name":"\#(String(repeating: accent, count: 100))"}"#)
        #expect(within.status == 201)
        let location = try #require(within.headers.first(name: "Location"))
        let update = try await Self.send(.PUT, stack.base + location, body: #"{"name":"n","description":"\#(String(repeating: accent, count: 1001))"}"#)
        #expect(update.status == 422)

        // 405 with Allow: the gateway's own paths from the gateway, /api/*
        // from data-api through the proxy; unknown paths stay 404.
        let undeclared: [(HTTPMethod, String, String)] = [
            (.TRACE, "/health", "GET, HEAD, OPTIONS"), (.POST, "/health/ready", "GET, HEAD, OPTIONS"),
            (.TRACE, "/api/data", "GET, HEAD, OPTIONS"), (.DELETE, "/api/items", "GET, HEAD, POST, OPTIONS"),
            (.PATCH, location, "GET, HEAD, PUT, DELETE, OPTIONS"),
        ]
        for (method, path, allow) in undeclared {
            let response = try await Self.send(method, stack.base + path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.headers.first(name: "Allow") == allow, "\(method) \(path)")
            #expect(response.headers.first(name: "Content-Type") == "application/problem+json", "\(method) \(path)")
        }
        #expect(try await Self.send(.TRACE, stack.base + "/nothing").status == 404)
        #expect(try await Self.send(.TRACE, stack.base + "/api/nothing").status == 404)
    }

    @Test func aRetriedKeyedPostCreatesExactlyOneItem() async throws {
        let stack = try await self.startStack()
        let key = UUID().uuidString
        let first = try await Self.send(.POST, stack.base + "/api/items", body: #"{"name":"exactly once"}"#, headers: [("Idempotency-Key", key)])
        #expect(first.status == 201)
        // The client's retry after a lost answer, through another replica.
        stack.replicas[0].kill()
        let retry = try await Self.send(.POST, stack.base + "/api/items", body: #"{"name":"exactly once"}"#, headers: [("Idempotency-Key", key)])
        #expect(retry.status == 201)
        #expect(retry.headers.first(name: "Location") == first.headers.first(name: "Location"))
        #expect(try self.postgres.psql("SELECT count(*) FROM items WHERE name = 'exactly once'") == "1")
    }

    @Test func postgresDownShowsInsideTheUpstreamEntries() async throws {
        let stack = try await self.startStack()
        try await offloaded { [postgres = self.postgres] in try postgres.stop(mode: "immediate") }
        defer { try? self.postgres.start() }
        try await waitUntil("gateway fail") { try await Self.report(stack.base + "/health").status == .fail }
        let report = try await Self.report(stack.base + "/health")
        let entries = try #require(report.checks?["upstream:responseTime"])
        #expect(entries.count == 2)
        for entry in entries {
            #expect(entry.status == .fail)
            #expect(entry.checks?["postgres:responseTime"]?.first?.status == .fail)
            #expect(entry.checks?["postgres:responseTime"]?.first?.output != nil)
        }
        try await offloaded { [postgres = self.postgres] in try postgres.start() }
        try await waitUntil("gateway pass again") { try await Self.report(stack.base + "/health").status == .pass }
    }
}
