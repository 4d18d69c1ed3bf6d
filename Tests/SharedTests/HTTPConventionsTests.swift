import Foundation
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@Suite struct HTTPConventionsTests {
    struct Payload: Decodable { var name: String }

    func app() -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.post("echo") { request, context in
            let payload = try await request.decodeJSON(as: Payload.self, limit: 100, context: context)
            return payload.name
        }
        router.get("boom") { _, _ -> String in throw CancellationError() }
        return Application(router: router)
    }

    @Test func unknownRouteIsAProblem() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["status"] as? Int == 404)
                #expect(body?["instance"] as? String == "/nope")
                #expect(response.headers[.requestID] != nil)
            }
        }
    }

    @Test func badBodiesGetTheRightStatus() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "{}")) {
                #expect($0.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{nope")) {
                #expect($0.status == .badRequest)
                #expect($0.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"name": 5}"#)) {
                #expect($0.status == .badRequest)
                #expect(String(buffer: $0.body).contains("name"))
            }
            let big = ByteBuffer(string: #"{"name":""# + String(repeating: "x", count: 200) + #""}"#)
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "application/json"], body: big) {
                #expect($0.status == .contentTooLarge)
            }
            try await client.execute(uri: "/echo", method: .post, headers: [.contentType: "application/json; charset=utf-8"], body: ByteBuffer(string: #"{"name":"ok"}"#)) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func unknownErrorsAreGeneric500s() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(!String(buffer: response.body).contains("Cancellation"))
            }
        }
    }

    @Test func requestIDIsKeptOrMade() async throws {
        try await self.app().test(.router) { client in
            try await client.execute(uri: "/nope", method: .get, headers: [.requestID: "abc-123"]) {
                #expect($0.headers[.requestID] == "abc-123")
            }
            try await client.execute(uri: "/nope", method: .get, headers: [.requestID: "bad id with spaces"]) {
                #expect($0.headers[.requestID] != "bad id with spaces")
                #expect(($0.headers[.requestID]?.count ?? 0) == 36)
            }
        }
    }

    @Test func withTimeoutReturnsAtTheTimeoutEvenIfTheWorkIgnoresCancellation() async throws {
        struct Late: Error {}
        await #expect(throws: Late.self) {
            try await withTimeout(.milliseconds(50), error: Late()) {
                // Work that ignores cancellation, like a blocking C call on a
                // thread pool: it answers only after 5 s.
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 5) { continuation.resume() }
                }
                return 1
            }
        }
        #expect(try await withTimeout(.seconds(5), error: Late()) { 42 } == 42)
    }
}
