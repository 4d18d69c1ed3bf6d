import AsyncHTTPClient
import Logging
import ServiceLifecycle
import Shared
import TestSupport
import Testing

@testable import Gateway

/// The edge (``EdgeGuard``): raw bytes a client may send, against the real
/// gateway listening on a socket, in front of a real upstream that counts
/// what reaches it.
@Suite struct GatewayEdgeTests {
    func withGateway(_ extra: [String: String] = [:], _ body: @escaping @Sendable (_ port: Int, _ upstream: TestUpstream) async throws -> Void) async throws {
        let settings = ["PER_TRY_TIMEOUT_MS": "2000", "REQUEST_DEADLINE_MS": "20000"].merging(extra) { $1 }
        try await LiveGateway.run(settings, label: "gateway-edge-test") { port, upstream, _ in try await body(port, upstream) }
    }

    /// Sends `request` on a new connection; returns everything the gateway
    /// answered up to its close (or 10 s of silence).
    static func exchange(_ port: Int, _ request: String) async throws -> (text: String, closed: Bool) {
        let connection = try RawHTTPConnection(port: port)
        try connection.send(request)
        return try await connection.readAll()
    }

    static func expectRefused(_ answer: (text: String, closed: Bool), _ status: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.text.hasPrefix("HTTP/1.1 \(status) "), "answered: \(answer.text.prefix(200))", sourceLocation: sourceLocation)
        #expect(answer.text.contains("application/problem+json"), sourceLocation: sourceLocation)
        #expect(answer.text.contains(#""status":\#(status)"#), sourceLocation: sourceLocation)
        #expect(answer.closed, "the connection stayed open after a refusal", sourceLocation: sourceLocation)
    }

    @Test func aMissingOrRepeatedHostIsRefusedAndNothingForwarded() async throws {
        try await self.withGateway { port, upstream in
            let before = upstream.hits
            Self.expectRefused(try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "400")
            Self.expectRefused(try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\n\r\n"), "400")
            #expect(upstream.hits == before)
            // HTTP/1.0 has no Host requirement.
            let old = try await Self.exchange(port, "GET /api/items/1 HTTP/1.0\r\n\r\n")
            #expect(old.text.hasPrefix("HTTP/1.1 200 "), "answered: \(old.text.prefix(200))")
            #expect(old.closed, "an HTTP/1.0 request without keep-alive must close its connection")
            #expect(upstream.hits == before + 1)
        }
    }

    @Test func anOversizedHeadIsRefusedWith431() async throws {
        try await self.withGateway(["CLIENT_MAX_HEADER_BYTES": "8192", "CLIENT_MAX_HEADERS": "20"]) { port, upstream in
            let before = upstream.hits
            let big = String(repeating: "x", count: 9000)
            Self.expectRefused(try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n"), "431")
            let many = (1...21).map { "X-H\($0): v\r\n" }.joined()
            Self.expectRefused(try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\nHost: a\r\n\(many)\r\n"), "431")
            #expect(upstream.hits == before)
            let fits = try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Big: \(String(big.prefix(7000)))\r\n\r\n")
            #expect(fits.text.hasPrefix("HTTP/1.1 200 "), "answered: \(fits.text.prefix(200))")
        }
    }

    @Test func malformedFramingIsRefusedBeforeAnythingIsForwarded() async throws {
        try await self.withGateway { port, upstream in
            let before = upstream.hits
            let badChunk = "POST /api/items HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
            Self.expectRefused(try await Self.exchange(port, badChunk), "400")
            let smuggled = "POST /api/items HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            Self.expectRefused(try await Self.exchange(port, smuggled), "400")
            #expect(upstream.hits == before)
        }
    }

    @Test func dotSegmentsAreRemovedBeforeTheRouteMatches() async throws {
        try await self.withGateway { port, upstream in
            let inside = try await Self.exchange(port, "GET /api/items/../items/./7?q=a/../b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(inside.text.hasPrefix("HTTP/1.1 200 "), "answered: \(inside.text.prefix(200))")
            #expect(upstream.lastTarget == "/api/items/7?q=a/../b")
            let absolute = try await Self.exchange(port, "GET http://a/api/items/%2E/3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(absolute.text.hasPrefix("HTTP/1.1 200 "), "answered: \(absolute.text.prefix(200))")
            #expect(upstream.lastTarget == "/api/items/3")

            let before = upstream.hits
            for escape in ["/api/../admin/chaos", "/api/%2e%2E/admin/chaos"] {
                let outside = try await Self.exchange(port, "GET \(escape) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                #expect(outside.text.hasPrefix("HTTP/1.1 404 "), "\(escape) answered: \(outside.text.prefix(200))")
            }
            Self.expectRefused(try await Self.exchange(port, "GET /api/items%2F1 HTTP/1.1\r\nHost: a\r\n\r\n"), "400")
            Self.expectRefused(try await Self.exchange(port, "GET /../api/items/1 HTTP/1.1\r\nHost: a\r\n\r\n"), "400")
            Self.expectRefused(try await Self.exchange(port, "GET /api/items/%zz HTTP/1.1\r\nHost: a\r\n\r\n"), "400")
            #expect(upstream.hits == before)
        }
    }

    @Test func aHeadSentTooSlowlyGets408AndTheConnectionCloses() async throws {
        try await self.withGateway(["CLIENT_HEADER_TIMEOUT_MS": "300", "CLIENT_IDLE_TIMEOUT_MS": "600000"]) { port, upstream in
            let connection = try RawHTTPConnection(port: port)
            try connection.send("GET /api/items/1 HTTP/1.1\r\nHo")
            Self.expectRefused(try await connection.readAll(), "408")
        }
    }

    @Test func anIdleConnectionIsClosedAfterItsLastAnswer() async throws {
        try await self.withGateway(["CLIENT_IDLE_TIMEOUT_MS": "300", "CLIENT_HEADER_TIMEOUT_MS": "600000"]) { port, _ in
            let silent = try await RawHTTPConnection(port: port).readAll()
            #expect(silent.closed && silent.text.isEmpty, "a connection that never sent a byte: \(silent)")
            let kept = try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(kept.text.hasPrefix("HTTP/1.1 200 "), "answered: \(kept.text.prefix(200))")
            #expect(kept.closed, "a kept-alive connection stayed open past its idle timeout")
        }
    }

    @Test func aRefusalFollowsTheAnswersToEarlierPipelinedRequests() async throws {
        try await self.withGateway { port, upstream in
            let before = upstream.hits
            let answer = try await Self.exchange(port, "GET /api/items/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /api/items/2 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\nGET /api/items/3 HTTP/1.1\r\nHost: a\r\n\r\n")
            let ok = answer.text.range(of: "HTTP/1.1 200 ")
            let refused = answer.text.range(of: "HTTP/1.1 400 ")
            #expect(ok != nil && refused != nil && ok!.lowerBound < refused!.lowerBound, "answered: \(answer.text)")
            #expect(answer.text.matches(of: try Regex(#"HTTP/1\.1 \d{3} "#)).count == 2, "one answer each for the first two requests only: \(answer.text)")
            #expect(answer.closed)
            #expect(upstream.hits == before + 1)
        }
    }
}
