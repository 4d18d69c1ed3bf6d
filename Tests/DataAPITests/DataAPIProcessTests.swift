import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// End to end: the built `data-api` binary (`DATA_API_BIN`, or the one
/// `swift build` made next to these tests) as a process, against real
/// PostgreSQL and Redis: servers of the test's own when it stops them.
@Suite(.serialized) struct DataAPIProcessTests {
    static var binary: String {
        get throws { try builtBinary("data-api", variable: "DATA_API_BIN") }
    }

    /// A running data-api process and what it logged.
    final class Running: @unchecked Sendable {
        let pid: pid_t
        let port: Int
        let logPath: String
        /// The databases it uses: released after it is killed, never under it.
        let stores: DataStores
        var exited: Int32?

        init(_ stores: DataStores, environment: [String: String]) throws {
            self.stores = stores
            self.port = try freePort()
            self.logPath = NSTemporaryDirectory() + "data-api-\(UUID().uuidString).log"
            var environment = environment
            environment["HTTP_PORT"] = String(self.port)
            self.pid = try spawnProcess([try DataAPIProcessTests.binary], environment: environment, outputPath: self.logPath)
        }

        deinit {
            if self.exited == nil {
                kill(self.pid, SIGKILL)
                waitForExit(self.pid)
            }
            try? FileManager.default.removeItem(atPath: self.logPath)
        }

        var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

        /// SIGTERM, then waits for the exit (a graceful drain) off the cooperative pool.
        func terminate() async throws -> Int32 {
            kill(self.pid, SIGTERM)
            let pid = self.pid
            let status = try await offloaded { waitForExit(pid) }
            self.exited = status
            return status
        }
    }

    struct HTTPResult {
        let status: Int
        let body: String
        let headers: HTTPHeaders
    }

    func request(_ running: Running, _ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(running.port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return HTTPResult(status: Int(response.status.code), body: String(buffer: bytes), headers: response.headers)
    }

    func start(_ stores: DataStores, _ extra: [String: String] = [:]) async throws -> Running {
        let running = try Running(stores, environment: stores.appEnvironment(extra))
        try await waitUntil("data-api ready") { try await self.request(running, .GET, "/health/ready").status == 200 }
        return running
    }

    @Test func fullLifecycleAgainstRealServers() async throws {
        let adminToken = "admin-secret-token-4242424242"
        let stores = try await DataStores.own()
        let running = try await self.start(stores, ["ADMIN_TOKEN": adminToken, "LOG_LEVEL": "debug"])
        var healthBodies: [String] = []

        // CRUD and the cache.
        let created = try await self.request(running, .POST, "/api/items", body: #"{"name":"e2e","description":"round trip"}"#)
        #expect(created.status == 201)
        let location = try #require(created.headers.first(name: "Location"))
        #expect(try await self.request(running, .GET, location).headers.first(name: "X-Cache") == "miss")
        #expect(try await self.request(running, .GET, location).headers.first(name: "X-Cache") == "hit")
        #expect(try await self.request(running, .PUT, location, body: #"{"name":"e2e v2"}"#).status == 200)
        #expect(try await self.request(running, .GET, location).body.contains("e2e v2"))
        healthBodies.append(try await self.request(running, .GET, "/health").body)

        // Redis stops: warn, still ready, reads bypass the cache.
        try await offloaded { [redis = stores.redis.server] in try redis.stop() }
        try await waitUntil("health warn") { try await self.request(running, .GET, "/health").body.contains(#""status":"warn""#) }
        healthBodies.append(try await self.request(running, .GET, "/health").body)
        #expect(try await self.request(running, .GET, "/health/ready").status == 200)
        let bypass = try await self.request(running, .GET, location)
        #expect(bypass.status == 200)
        #expect(bypass.headers.first(name: "X-Cache") == "bypass")
        try await offloaded { [redis = stores.redis.server] in try redis.start() }
        try await waitUntil("health pass") { try await self.request(running, .GET, "/health").body.contains(#""status":"pass""#) }

        // PostgreSQL stops: not ready, writes 503; it comes back without a restart of data-api.
        try await offloaded { [postgres = stores.postgres.server] in try postgres.stop(mode: "immediate") }
        try await waitUntil("not ready") { try await self.request(running, .GET, "/health/ready").status == 503 }
        healthBodies.append(try await self.request(running, .GET, "/health").body)
        let write = try await self.request(running, .POST, "/api/items", body: #"{"name":"refused"}"#)
        #expect(write.status == 503)
        #expect(write.headers.first(name: "Retry-After") != nil)
        healthBodies.append(write.body)
        #expect(try await Self.probe(["healthcheck", "--ready"], port: running.port) == 1, "the container probe sees not ready")
        #expect(try await Self.probe(["healthcheck", "--live"], port: running.port) == 0, "but still live")
        try await offloaded { [postgres = stores.postgres.server] in try postgres.start() }
        try await waitUntil("ready again") { try await self.request(running, .GET, "/health/ready").status == 200 }
        #expect(try await Self.probe(["healthcheck"], port: running.port) == 0, "ready is the default probe")
        #expect(try await self.request(running, .POST, "/api/items", body: #"{"name":"after restart"}"#).status == 201)
        healthBodies.append(try await self.request(running, .GET, "/metrics").body)

        // SIGTERM: a clean, draining exit.
        #expect(try await running.terminate() == 0)
        let log = running.log
        #expect(log.contains("draining"))
        #expect(log.contains("health check changed status"))

        // No secret anywhere in what it said.
        for secret in [stores.postgres.password, stores.redis.password, adminToken] {
            #expect(!log.contains(secret), "a secret leaked into the log")
            for body in healthBodies { #expect(!body.contains(secret), "a secret leaked into a body") }
        }
        for body in healthBodies { #expect(!body.contains(":\(stores.postgres.server.port)"), "a data-store address leaked") }
    }

    /// `LOG_FORMAT=json`: every line the process writes is one JSON object
    /// with the documented fields, a request's lines carry its id, a
    /// transition carries its cause, and no secret appears.
    @Test func jsonLogsAreOneObjectPerLineWithoutSecrets() async throws {
        let adminToken = "admin-secret-token-4242424242"
        let stores = try await DataStores.own()
        let running = try await self.start(stores, ["ADMIN_TOKEN": adminToken, "LOG_FORMAT": "json", "LOG_LEVEL": "debug"])
        let chaos = try await self.request(
            running, .PUT, "/admin/chaos", body: #"{"errorRate":0,"latencyMs":0}"#,
            headers: [("Authorization", "Bearer \(adminToken)"), ("X-Request-ID", "json-log-test-1")]
        )
        #expect(chaos.status == 200)
        try await offloaded { [redis = stores.redis.server] in try redis.stop() }
        try await waitUntil("health warn") { try await self.request(running, .GET, "/health").body.contains(#""status":"warn""#) }
        try await offloaded { [redis = stores.redis.server] in try redis.start() }
        #expect(try await running.terminate() == 0)

        let log = running.log
        var entries: [[String: Any]] = []
        for line in log.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { entries.append(object) }
        }
        for entry in entries {
            #expect(entry["timestamp"] is String && entry["level"] is String && entry["message"] is String && entry["metadata"] is [String: Any])
            #expect(entry["service"] as? String == "data-api")
        }
        let chaosLine = entries.first { $0["message"] as? String == "fault injection changed" }
        #expect(chaosLine?["request_id"] as? String == "json-log-test-1")
        #expect(chaosLine?["level"] as? String == "notice")
        let transitions = entries.filter { $0["message"] as? String == "health check changed status" }.compactMap { $0["metadata"] as? [String: String] }
        #expect(transitions.contains { $0["check"] == "redis:responseTime" && $0["to"] == "fail" && $0["cause"] != nil })
        #expect(entries.contains { $0["message"] as? String == "shutdown requested: draining" })
        for secret in [stores.postgres.password, stores.redis.password, adminToken] {
            #expect(!log.contains(secret), "a secret leaked into the log")
        }
    }

    @Test func passwordsFromFiles() async throws {
        let stores = try await DataStores.shared()
        let directory = NSTemporaryDirectory() + "secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data((stores.postgres.password + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/pg"))
        try Data(stores.redis.password.utf8).write(to: URL(fileURLWithPath: directory + "/redis"))
        var environment = stores.appEnvironment()
        environment["DATABASE_PASSWORD"] = nil
        environment["REDIS_PASSWORD"] = nil
        environment["DATABASE_PASSWORD_FILE"] = directory + "/pg"
        environment["REDIS_PASSWORD_FILE"] = directory + "/redis"
        let running = try Running(stores, environment: environment)
        try await waitUntil("ready with file secrets") { try await self.request(running, .GET, "/health").body.contains(#""status":"pass""#) }
        #expect(try await running.terminate() == 0)
    }

    /// Runs `data-api ARGS` (the container probe mode) against `port`; returns its exit code.
    static func probe(_ arguments: [String], port: Int) async throws -> Int32 {
        let pid = try spawnProcess([try Self.binary] + arguments, environment: ["HTTP_PORT": String(port)])
        return try await offloaded { waitForExit(pid) }
    }

    @Test func probeModeAnswersByExitCode() async throws {
        #expect(try await Self.probe(["healthcheck", "--ready"], port: try freePort()) == 1, "nothing listening")
        #expect(try await Self.probe(["healthcheck", "--sideways"], port: 1) == 2)
        #expect(try await Self.probe(["serve"], port: 1) == 2)
    }

    @Test(arguments: [("HTTP_PORT", "99999"), ("LOG_FORMAT", "xml")])
    func badConfigurationExitsWithOneLineNamingTheSetting(setting: String, value: String) throws {
        let logPath = NSTemporaryDirectory() + "bad-config-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let pid = try spawnProcess(
            [try Self.binary], environment: [setting: value, "REDIS_PASSWORD": "do-not-print-me"], outputPath: logPath
        )
        #expect(waitForExit(pid) == 2)
        let output = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(output.split(separator: "\n").count == 1)
        #expect(output.hasPrefix("configuration error: \(setting)"))
        #expect(!output.contains("do-not-print-me"))
    }
}
