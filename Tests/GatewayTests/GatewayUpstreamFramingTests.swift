import NIOCore
import TestSupport
import Testing

@testable import Gateway

/// Responses the proxy forwards as bytes, from an upstream that sends exactly
/// what each test scripts (``RawUpstream``), read by a client that sees
/// exactly what the gateway sends (``RawHTTPConnection``): chunks kept for an
/// HTTP/1.1 client and removed for an HTTP/1.0 one, a body ended by the
/// upstream's close, no body after `HEAD`, and malformed answers refused.
@Suite struct GatewayUpstreamFramingTests {
    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"

    func withGateway(_ body: @escaping @Sendable (_ port: Int, _ upstream: RawUpstream) async throws -> Void) async throws {
        let upstream = try await RawUpstream()
        defer { Task { try? await upstream.stop() } }
        try await LiveGateway.run(["PER_TRY_TIMEOUT_MS": "2000"], upstreamURL: upstream.url, label: "gateway-framing-test") { port, _ in
            try await body(port, upstream)
        }
    }

    /// Sends `request` on a new connection and reads until it closes (or goes quiet).
    static func exchange(_ port: Int, _ request: String) async throws -> (text: String, closed: Bool) {
        let connection = try RawHTTPConnection(port: port)
        try connection.send(request)
        return try await connection.readAll()
    }

    /// The answers in `text`, split at each status line.
    static func answers(_ text: String) -> [Substring] {
        text.split(separator: "HTTP/1.1 ", omittingEmptySubsequences: true)
    }

    @Test func chunksReachAnHTTP11ClientAsTheyCameAndTheConnectionStays() async throws {
        try await self.withGateway { port, upstream in
            upstream.answer(Self.chunked)
            let received = try await Self.exchange(port, "GET /api/a HTTP/1.1\r\nHost: t\r\n\r\nGET /api/b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let answers = Self.answers(received.text)
            #expect(answers.count == 2, "\(received.text)")
            for answer in answers {
                #expect(answer.hasPrefix("200 OK\r\n") && answer.contains("\r\nTransfer-Encoding: chunked\r\n"))
                #expect(answer.hasSuffix("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"), "\(answer)")
            }
            #expect(!answers[0].contains("Connection: close") && answers[1].contains("Connection: close") && received.closed)
        }
    }

    @Test func anHTTP10ClientGetsTheDataWithoutChunksEndedByTheClose() async throws {
        try await self.withGateway { port, upstream in
            upstream.answer(Self.chunked)
            let received = try await Self.exchange(port, "GET /api/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(received.text.hasPrefix("HTTP/1.1 200 OK\r\n") && received.text.hasSuffix("\r\n\r\nhello world"), "\(received.text)")
            #expect(!received.text.contains("Transfer-Encoding") && received.text.contains("\r\nConnection: close\r\n") && received.closed)
        }
    }

    @Test func aBodyEndedByTheUpstreamsCloseEndsWithTheClientsConnection() async throws {
        try await self.withGateway { port, upstream in
            upstream.answer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", closes: true)
            let received = try await Self.exchange(port, "GET /api/a HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(received.text.hasSuffix("\r\nConnection: close\r\nServer-Timing: " + (received.text.components(separatedBy: "Server-Timing: ").last ?? "")))
            #expect(received.text.hasSuffix("\r\n\r\nall of it") && received.closed, "\(received.text)")
        }
    }

    @Test func aHEADAnswerHasNoBodyAndTheNextRequestFollows() async throws {
        try await self.withGateway { port, upstream in
            upstream.answer("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n")
            let connection = try RawHTTPConnection(port: port)
            try connection.send("HEAD /api/a HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = String(decoding: try connection.receive(), as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n") && head.hasSuffix("\r\n\r\n"), "\(head)")
            upstream.answer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext")
            try connection.send("GET /api/b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let received = try await connection.readAll()
            #expect(received.text.hasSuffix("\r\n\r\nnext") && received.closed, "\(received.text)")
        }
    }

    @Test func aMalformedHeadGets502AndAMalformedBodyEndsTheConnection() async throws {
        try await self.withGateway { port, upstream in
            upstream.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            let refused = try await Self.exchange(port, "GET /api/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(refused.text.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n") && refused.text.contains("application/problem+json"), "\(refused.text)")
            #expect(!refused.text.contains("\r\n\r\n2\r\nok"))

            upstream.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n")
            let cut = try await Self.exchange(port, "GET /api/a HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(cut.text.hasPrefix("HTTP/1.1 200 OK\r\n") && cut.closed, "\(cut.text)")
            // No last chunk after the head: the answer is not complete. (The
            // head itself may end in "0\r\n\r\n": its Server-Timing's "dur=0.0".)
            let afterHead = cut.text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            #expect(!cut.text.contains("zz") && !afterHead.hasSuffix("0\r\n\r\n"), "\(cut.text)")
        }
    }
}
