import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import TestSupport
import Testing

@testable import DataAPI

/// docs/openapi.yaml can't drift from data-api: every route the router
/// registers is documented, and every documented operation is registered
/// and answers (neither 404 nor 405) on the production app.
@Suite(.serialized) struct OpenAPIContractTests {
    let stores: DataStores
    static let token = "admin-token-0123456789abcdef"

    init() async throws {
        self.stores = try await DataStores.shared()
    }

    static func documented() throws -> [OpenAPIOperations.Operation] {
        try OpenAPIOperations(yaml: String(decoding: OpenAPIDocument.yaml, as: UTF8.self)).all.filter { $0.isServed(by: "data-api") }
    }

    @Test func registeredRoutesAndDocumentedOperationsAreTheSame() throws {
        let parts = DataAPIParts(try self.stores.configuration(["ADMIN_TOKEN": Self.token]), logger: Logger(label: "contract"))
        let registered = Set(parts.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = Set(try Self.documented().map(\.description))
        #expect(registered.subtracting(documented).isEmpty, "registered, not in docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "in docs/openapi.yaml, not registered: \(documented.subtracting(registered).sorted())")
    }

    @Test func everyDocumentedOperationAnswers() async throws {
        // Deletes last, so the other operations find the item.
        let operations = try Self.documented().sorted { ($0.method == "DELETE" ? 1 : 0) < ($1.method == "DELETE" ? 1 : 0) }
        try await self.stores.withApp(["ADMIN_TOKEN": Self.token]) { client in
            let item = try await client.json(.post, "/api/items", #"{"name":"contract"}"#).decode(Item.self)
            let bodies = ["/api/items": #"{"name":"n"}"#, "/api/items/{id}": #"{"name":"n"}"#, "/admin/chaos": #"{"errorRate":0,"latencyMs":0}"#]
            for operation in operations {
                let method = try #require(HTTPRequest.Method(operation.method))
                let body = method == .post || method == .put ? bodies[operation.path] : nil
                let uri = operation.path.replacingOccurrences(of: "{id}", with: String(item.id))
                let response = try await client.json(method, uri, body, headers: [.authorization: "Bearer \(Self.token)"])
                #expect(![.notFound, .methodNotAllowed, .notImplemented].contains(response.status), "\(operation): \(response.status)")
                #expect(response.status.code < 500, "\(operation): \(response.status)")
            }
            let served = try await client.json(.get, "/openapi.yaml")
            #expect(Array(buffer: served.body) == OpenAPIDocument.yaml)
            #expect(served.headers[.contentType] == "application/yaml")
        }
    }
}
