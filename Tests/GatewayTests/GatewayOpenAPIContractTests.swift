import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import TestSupport
import Testing

@testable import Gateway

/// docs/openapi.yaml can't drift from the gateway: its own routes are the
/// documented operations outside `/api/` (the proxy, below the router, takes
/// `/api/*`; data-api's suite checks those itself). Every documented
/// operation answers, on a live socket, neither 404 nor 405.
@Suite struct GatewayOpenAPIContractTests {
    static func documented() throws -> [OpenAPIOperations.Operation] {
        try OpenAPIOperations(yaml: String(decoding: OpenAPIDocument.yaml, as: UTF8.self)).all.filter { $0.isServed(by: "gateway") }
    }

    static func configuration() throws -> GatewayConfiguration {
        // An upstream that refuses connections: /api/* answers 503, not 404.
        // No status viewer: /health/events answers 503 at once (a stream would never end).
        try GatewayConfiguration(EnvironmentReader(environment: ["HTTP_PORT": "0", "UPSTREAM_URLS": "http://127.0.0.1:\(try freePort())", "STATUS_MAX_VIEWERS": "0"]))
    }

    @Test func routesAndDocumentMatchAndEveryOperationAnswers() async throws {
        var logger = Logger(label: "contract")
        logger.logLevel = .critical
        // Run as an application, so its services shut its HTTP client down.
        let parts = GatewayParts(try Self.configuration(), logger: logger)
        let own = Set(parts.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = try Self.documented()
        let documentedOwn = Set(documented.filter { !$0.path.hasPrefix("/api/") }.map(\.description))
        #expect(own == documentedOwn, "registered: \(own.sorted()); documented: \(documentedOwn.sorted())")
        #expect(documented.contains { $0.path.hasPrefix("/api/") })

        try await parts.application.test(.live) { client in
            for operation in documented {
                let method = try #require(HTTPRequest.Method(operation.method))
                let uri = operation.path.replacingOccurrences(of: "{id}", with: "1")
                let status = try await client.execute(uri: uri, method: method) { $0.status }
                #expect(![.notFound, .methodNotAllowed, .notImplemented].contains(status), "\(operation): \(status)")
            }
            let served = try await client.execute(uri: "/openapi.yaml", method: .get) { Array(buffer: $0.body) }
            #expect(served == OpenAPIDocument.yaml)
        }
    }
}
