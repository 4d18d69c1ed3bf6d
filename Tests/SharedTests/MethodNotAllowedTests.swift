import Foundation
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@Suite struct MethodNotAllowedTests {
    func app() -> some ApplicationProtocol {
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: ProblemMiddleware())
        router.get("things") { _, _ in "list" }
        router.post("things") { _, _ in "created" }
        router.group("things").get("{id}") { _, _ in "one" }.put("{id}") { _, _ in "put" }
        for method in HTTPRequest.Method.recognized {
            router.on("/proxy/**", method: method) { _, _ in "proxied" }
        }
        router.addMethodNotAllowedRoutes()
        return Application(router: router)
    }

    @Test func anUndeclaredMethodIs405WithAllow() async throws {
        try await self.app().test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.trace, "/things", "GET, HEAD, POST, OPTIONS"),
                (.delete, "/things", "GET, HEAD, POST, OPTIONS"),
                (.query, "/things", "GET, HEAD, POST, OPTIONS"),
                (.delete, "/things/7", "GET, HEAD, PUT, OPTIONS"),
                (.post, "/things/7", "GET, HEAD, PUT, OPTIONS"),
            ]
            for (method, uri, allow) in cases {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect(body?["status"] as? Int == 405)
                }
            }
        }
    }

    @Test func headFollowsGetAndOptionsListsTheMethods() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/things/7", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/things", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.allow] == "GET, HEAD, POST, OPTIONS")
            }
        }
    }

    @Test func declaredMethodsAndUnknownPathsAreUntouched() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/things", method: .post) { #expect(String(buffer: $0.body) == "created") }
            try await client.execute(uri: "/proxy/a/b", method: .trace) { #expect(String(buffer: $0.body) == "proxied") }
            for method in [HTTPRequest.Method.get, .trace] {
                try await client.execute(uri: "/nothing-here", method: method) { response in
                    #expect(response.status == .notFound, "\(method)")
                    #expect(response.headers[.allow] == nil)
                }
            }
        }
    }

    @Test func anUnrecognisedMethodIs501() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/things", method: HTTPRequest.Method("PROPFIND")!) { response in
                #expect(response.status == .notImplemented)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
