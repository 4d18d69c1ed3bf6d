import NIOCore
import Testing

@testable import Gateway

/// The proxy's reading of upstream responses (``UpstreamResponseParser``,
/// ``UpstreamResponseHead``): framing, persistence, the head as the client
/// gets it, and what is refused; each fed whole and one byte at a time.
@Suite struct UpstreamResponseParserTests {
    /// What the parser made of `response`: the head, the body bytes handed
    /// on, whether the end came, and the error if one was thrown.
    struct Outcome {
        var head: UpstreamResponseHead?
        var body = ""
        var ended = false
        var error: UpstreamResponseError?
        var heads = 0
    }

    static func parse(_ response: String, toHEAD: Bool = false, dechunks: Bool = false, bytewise: Bool = false, closeAtEnd: Bool = false) -> Outcome {
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: toHEAD)
        var outcome = Outcome()
        let bytes = Array(response.utf8)
        let pieces = bytewise ? bytes.map { [$0] } : [bytes]
        do {
            for piece in pieces {
                var input = ByteBuffer(bytes: piece)
                while let event = try parser.next(&input) {
                    switch event {
                    case .head(let head):
                        outcome.head = head
                        outcome.heads += 1
                        if dechunks { parser.dechunks = true }
                    case .body(let body): outcome.body += String(buffer: body)
                    case .end: outcome.ended = true
                    }
                }
            }
            if closeAtEnd, case .end? = parser.closed() { outcome.ended = true }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    static func clientHead(_ head: UpstreamResponseHead, keepsTransferEncoding: Bool = true) -> String {
        var buffer = ByteBuffer()
        head.writeForClient(into: &buffer, keepsTransferEncoding: keepsTransferEncoding)
        return String(buffer: buffer)
    }

    @Test(arguments: [false, true]) func aLengthDelimitedBodyEndsAtItsLength(bytewise: Bool) throws {
        let outcome = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", bytewise: bytewise)
        let head = try #require(outcome.head)
        #expect(head.status == 200 && head.framing == .length(5) && head.keepAlive)
        #expect(outcome.body == "hello" && outcome.ended && outcome.error == nil)
    }

    @Test(arguments: [false, true]) func chunksPassOnWithTheirFramingAndTrailers(bytewise: Bool) throws {
        let body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n"
        let outcome = Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body, bytewise: bytewise)
        #expect(outcome.head?.framing == .chunked)
        #expect(outcome.body == body && outcome.ended && outcome.error == nil)
    }

    @Test(arguments: [false, true]) func dechunkedOnlyTheDataPassesOn(bytewise: Bool) {
        let body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n"
        let outcome = Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body, dechunks: true, bytewise: bytewise)
        #expect(outcome.body == "hello world" && outcome.ended && outcome.error == nil)
    }

    @Test func withoutLengthOrChunksTheBodyRunsUntilTheClose() throws {
        let outcome = Self.parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", closeAtEnd: true)
        let head = try #require(outcome.head)
        #expect(head.framing == .untilClose && !head.keepAlive)
        #expect(outcome.body == "all of it" && outcome.ended)
    }

    @Test func noBodyForHEADOr204Or304() {
        let head = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", toHEAD: true)
        #expect(head.head?.framing == UpstreamResponseHead.Framing.none && head.ended && head.body.isEmpty)
        for status in ["204 No Content", "304 Not Modified"] {
            let outcome = Self.parse("HTTP/1.1 \(status)\r\nTransfer-Encoding: chunked\r\n\r\n")
            #expect(outcome.head?.framing == UpstreamResponseHead.Framing.none && outcome.ended)
        }
    }

    @Test func anInterimAnswerIsDroppedAndTheFinalOneRead() {
        let outcome = Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", bytewise: true)
        #expect(outcome.heads == 1 && outcome.head?.status == 201 && outcome.body == "ok" && outcome.ended)
    }

    @Test func persistenceFollowsVersionAndConnection() {
        #expect(Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").head?.keepAlive == false)
        #expect(Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head?.keepAlive == false)
        #expect(Self.parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").head?.keepAlive == true)
        #expect(Self.parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").head?.keepAlive == true)
    }

    @Test func theClientGetsTheEndToEndFieldsAsTheyCame() throws {
        let outcome = Self.parse(
            "HTTP/1.0 404 Not Found\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: secret\r\n"
                + "Content-Type:  text/plain \r\nX-Request-ID: upstream-id\r\nUpgrade: h2c\r\nContent-Length: 3\r\nRetry-After: 7\r\n\r\nnot"
        )
        let head = try #require(outcome.head)
        #expect(head.retryAfter == "7")
        #expect(Self.clientHead(head) == "HTTP/1.1 404 Not Found\r\nContent-Type:  text/plain \r\nContent-Length: 3\r\nRetry-After: 7\r\n")
    }

    @Test func transferEncodingStaysOnlyWithItsChunks() throws {
        let head = try #require(Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n").head)
        #expect(Self.clientHead(head) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n")
        #expect(Self.clientHead(head, keepsTransferEncoding: false) == "HTTP/1.1 200 OK\r\n")
    }

    @Test func everyConnectionFieldCounts() throws {
        let head = try #require(Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nX-A: 1\r\nConnection: x-a\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n").head)
        #expect(Self.clientHead(head) == "HTTP/1.1 200 OK\r\nX-B: 2\r\nContent-Length: 0\r\n")
        #expect(!head.keepAlive)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",  // both framings
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",  // lengths that differ
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",  // obs-fold
        "HTTP/1.1 200 OK\r\nX-Space : a\r\nContent-Length: 0\r\n\r\n",  // blank before the colon
        "HTTP/1.1 200 OK\r\nNo colon\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",  // LF without CR
        "HTTP/1.1 200 OK\r\nX-Bare: a\rb\r\nContent-Length: 0\r\n\r\n",  // CR without LF
        "HTTP/1.1 200 OK\r\nX-Nul: a\u{0}b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/2 200\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
    ])
    func aMalformedHeadIsRefused(response: String) {
        #expect(Self.parse(response).error == .malformedHead)
        #expect(Self.parse(response, bytewise: true).error == .malformedHead)
    }

    @Test(arguments: [
        "zz\r\nhello\r\n0\r\n\r\n",  // not a size
        "5\r\nhelloXX0\r\n\r\n",  // data longer than its size
        "\r\n",  // no digits
        "5\nhello\r\n0\r\n\r\n",  // LF without CR
        "1000000000000000\r\n",  // too large
        "0\r\nX-T: 1\nX-U: 2\r\n\r\n",  // a trailer line without its CR
    ])
    func aMalformedChunkIsRefused(body: String) {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        #expect(Self.parse(response).error == .malformedChunk)
        #expect(Self.parse(response, dechunks: true, bytewise: true).error == .malformedChunk)
    }

    @Test func anOversizedHeadIsRefused() throws {
        let response = "HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "a", count: UpstreamResponseHead.maxBytes))\r\n\r\n"
        #expect(Self.parse(response).error == .headTooLarge)
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: false)
        var first = ByteBuffer(string: String(response.prefix(40_000)))
        var second = ByteBuffer(string: String(response.dropFirst(40_000)))
        let nothingYet = try parser.next(&first)
        #expect(nothingYet == nil)
        #expect(throws: UpstreamResponseError.headTooLarge) { try parser.next(&second) }
    }

    @Test func bytesWhenNoResponseIsDueAreOutOfStep() {
        var parser = UpstreamResponseParser()
        var input = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")
        #expect(throws: UpstreamResponseError.unexpected) { try parser.next(&input) }
        var after = ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\nextra")
        parser.expectResponse(toHEAD: false)
        var events = 0
        #expect(throws: UpstreamResponseError.unexpected) {
            while try parser.next(&after) != nil { events += 1 }
        }
        #expect(events == 2)
    }
}
