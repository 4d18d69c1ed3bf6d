import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import TestSupport

@testable import DataAPI

/// data-api in front of a test's ``DataStores``.
extension DataStores {
    /// The environment data-api reads, pointing at these stores.
    func appEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        self.environment.merging(["HTTP_HOST": "127.0.0.1", "HTTP_PORT": "0", "HEALTH_INTERVAL_MS": "50", "HEALTH_FAILURE_THRESHOLD": "1"]) { $1 }
            .merging(extra) { $1 }
    }

    func configuration(_ extra: [String: String] = [:]) throws -> DataAPIConfiguration {
        try DataAPIConfiguration(EnvironmentReader(environment: self.appEnvironment(extra)))
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
