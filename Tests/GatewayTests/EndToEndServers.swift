import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport

/// Real PostgreSQL and Redis for one test (``DataStores``: databases on
/// the shared servers, or servers of its own for a test that stops them),
/// and the built `gateway` and `data-api` processes (`GATEWAY_BIN`,
/// `DATA_API_BIN`, or the ones `swift build` made next to these tests)
/// started in front of them.
struct EndToEndServers {
    let stores: DataStores

    init(_ stores: DataStores) {
        self.stores = stores
    }

    /// A service process, killed when released; what it writes goes to `logPath`.
    final class Service: @unchecked Sendable {
        let pid: pid_t
        let port: Int
        let logPath: String
        /// The databases it uses: released after it is killed, never under it.
        let stores: DataStores?
        private(set) var stopped = false

        /// Starts `binary` on `port` (a free one by default).
        init(_ binary: String, environment: [String: String], port: Int? = nil, using stores: DataStores? = nil) throws {
            self.stores = stores
            self.port = try port ?? freePort()
            self.logPath = NSTemporaryDirectory() + "service-\(UUID().uuidString).log"
            self.pid = try spawnProcess([binary], environment: environment.merging(["HTTP_PORT": String(self.port)]) { $1 }, outputPath: self.logPath)
        }

        func kill(_ signal: Int32 = SIGKILL) {
            Glibc.kill(self.pid, signal)
            waitForExit(self.pid)
            self.stopped = true
        }

        /// SIGTERM, then its exit status; a process still running after 30 s is killed and the test fails.
        func terminate() async throws -> Int32 {
            Glibc.kill(self.pid, SIGTERM)
            var status: Int32 = 0
            try await waitUntil(timeout: .seconds(30), "the process to exit after SIGTERM") { waitpid(self.pid, &status, WNOHANG) == self.pid }
            self.stopped = true
            return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        }

        var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

        deinit {
            let (pid, logPath, stopped) = (self.pid, self.logPath, self.stopped)
            if !stopped { Glibc.kill(pid, SIGKILL) }
            BackgroundTeardown.run {
                if !stopped { waitForExit(pid) }
                try? FileManager.default.removeItem(atPath: logPath)
            }
        }
    }

    struct Stack {
        let replicas: [Service]
        let gateway: Service
        var base: String { "http://127.0.0.1:\(self.gateway.port)" }
    }

    /// Two data-api replicas, then a gateway in front of them (with
    /// `gatewayEnvironment` besides its upstreams), once it reports `pass`.
    func startStack(gatewayEnvironment: [String: String] = [:]) async throws -> Stack {
        let dataAPI = try builtBinary("data-api", variable: "DATA_API_BIN")
        let environment = self.stores.environment.merging(["HEALTH_INTERVAL_MS": "100"]) { $1 }
        let replicas = try (0..<2).map { _ in try Service(dataAPI, environment: environment, using: self.stores) }
        for replica in replicas {
            try await waitUntil("data-api ready") { try await Self.get("http://127.0.0.1:\(replica.port)/health/ready").status == 200 }
        }
        let gateway = try Self.startGateway(for: replicas, environment: gatewayEnvironment)
        let stack = Stack(replicas: replicas, gateway: gateway)
        try await waitUntil("gateway pass") { try await Self.report(stack.base + "/health").status == .pass }
        return stack
    }

    /// A gateway in front of `replicas`, with `environment` besides its upstreams, on `port` (a free one by default).
    static func startGateway(for replicas: [Service], environment: [String: String] = [:], port: Int? = nil) throws -> Service {
        try Service(
            try builtBinary("gateway", variable: "GATEWAY_BIN"),
            environment: [
                "UPSTREAM_URLS": replicas.map { "http://127.0.0.1:\($0.port)" }.joined(separator: ","), "UPSTREAM_HEALTH_INTERVAL_MS": "100",
            ].merging(environment) { $1 },
            port: port
        )
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
}
