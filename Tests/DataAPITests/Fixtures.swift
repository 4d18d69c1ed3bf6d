import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import TestSupport
import Testing

@testable import DataAPI

/// Real servers for one suite.
struct Servers {
    let postgres: PostgresTestServer
    let redis: RedisTestServer

    init() async throws {
        self.postgres = try await offloaded { try PostgresTestServer() }
        self.redis = try await offloaded { try RedisTestServer() }
    }

    /// The environment data-api reads, pointing at these servers.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        [
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "0",
            "DATABASE_URL": self.postgres.url,
            "DATABASE_PASSWORD": self.postgres.password,
            "REDIS_URL": self.redis.url,
            "REDIS_PASSWORD": self.redis.password,
            "HEALTH_INTERVAL_MS": "50",
            "HEALTH_FAILURE_THRESHOLD": "1",
        ].merging(extra) { $1 }
    }

    func configuration(_ extra: [String: String] = [:]) throws -> DataAPIConfiguration {
        try DataAPIConfiguration(EnvironmentReader(environment: self.environment(extra)))
    }

    /// Runs `body` against the production app (``buildApplication``), once its schema is ready.
    func withApp(_ extra: [String: String] = [:], _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(try self.configuration(extra), logger: Logger(label: "data-api-test"))
        try await app.test(.router) { client in
            try await waitUntil("data-api ready") {
                try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
            }
            try await body(client)
        }
    }
}

extension TestClientProtocol {
    /// Sends JSON and returns the response.
    func json(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await self.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
    }
}

extension TestResponse {
    var text: String { String(buffer: self.body) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: self.body))
    }
}
