import AsyncHTTPClient
import Logging
import ServiceLifecycle
import Shared
import TestSupport

@testable import Gateway

/// The production gateway (``buildApplication``) listening on a free port in
/// front of one ``TestUpstream``, run as a service in a group of its own:
/// `body` runs once the gateway proxies to the upstream; then the group shuts
/// down gracefully (`body` may start that itself, through the group).
enum LiveGateway {
    static func run(
        _ settings: [String: String], label: String,
        _ body: @escaping @Sendable (_ port: Int, _ upstream: TestUpstream, _ group: ServiceGroup) async throws -> Void
    ) async throws {
        let upstream = try await TestUpstream()
        try await Self.run(settings, upstreamURL: upstream.url, label: label) { port, group in try await body(port, upstream, group) }
    }

    /// The gateway in front of the upstream at `upstreamURL`, whatever serves it.
    static func run(
        _ settings: [String: String], upstreamURL: String, label: String,
        _ body: @escaping @Sendable (_ port: Int, _ group: ServiceGroup) async throws -> Void
    ) async throws {
        let port = try freePort()
        let environment = ["HTTP_PORT": String(port), "UPSTREAM_URLS": upstreamURL, "UPSTREAM_HEALTH_INTERVAL_MS": "50"].merging(settings) { $1 }
        var logger = Logger(label: label)
        logger.logLevel = .error
        let application = buildApplication(try GatewayConfiguration(EnvironmentReader(environment: environment)), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await waitUntil("the gateway sees its upstream") {
                    try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/items/0"), timeout: .seconds(2)).status == .ok
                }
                try await body(port, group)
            } catch {
                tasks.cancelAll()
                throw error
            }
            await group.triggerGracefulShutdown()
        }
    }
}
