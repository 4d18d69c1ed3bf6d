import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

@Suite struct ProxyHeadersTests {
    /// The request line and fields of the head the upstream gets for a
    /// `GET /api/x` with `headers`, as written.
    static func upstreamHead(
        _ headers: HTTPHeaders, upstreamHost: String = "u", clientAddress: String? = nil, framing: ProxyHeaders.BodyFraming = .none,
        writeNewTraceparent: (inout ByteBuffer) -> Void = { $0.writeHTTP1Field("traceparent", "new") }
    ) -> (requestLine: String, fields: HTTPHeaders) {
        var buffer = ByteBuffer()
        ProxyHeaders.writeUpstreamRequest(
            HTTPRequestHead(version: .http1_0, method: .GET, uri: "/api/x", headers: headers), framing: framing, upstreamHost: upstreamHost,
            clientAddress: clientAddress, requestID: "rid", writeNewTraceparent: writeNewTraceparent, into: &buffer
        )
        let text = String(buffer: buffer)
        #expect(text.hasSuffix("\r\n\r\n"))
        let lines = text.components(separatedBy: "\r\n").dropLast(2)
        let fields = lines.dropFirst().map { line in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(colon, offsetBy: 2)...]))
        }
        return (lines.first ?? "", HTTPHeaders(fields))
    }

    @Test func removesHopByHopAndConnectionListedFieldsAndFramesTheBodyItself() {
        let headers = HTTPHeaders([
            ("Connection", "keep-alive, X-Secret-Hop"), ("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"),
            ("X-Secret-Hop", "1"), ("Accept", "application/json"), ("Content-Length", "12"),
        ])
        let plain = Self.upstreamHead(headers)
        #expect(plain.requestLine == "GET /api/x HTTP/1.1")
        #expect(plain.fields.map { $0.name.lowercased() }.sorted() == ["accept", "host", "traceparent", "x-forwarded-proto", "x-request-id"])
        #expect(Self.upstreamHead(headers, framing: .length(5)).fields["Content-Length"] == ["5"])
        let chunked = Self.upstreamHead(headers, framing: .chunked).fields
        #expect(chunked["Transfer-Encoding"] == ["chunked"] && !chunked.contains(name: "content-length"))
    }

    @Test func addsForwardingFieldsAndKeepsAValidTraceparent() {
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let headers = HTTPHeaders([("Host", "example.test"), ("X-Forwarded-For", "10.0.0.1"), ("traceparent", trace)])
        let result = Self.upstreamHead(headers, upstreamHost: "10.1.2.3:8080", clientAddress: "192.0.2.7").fields
        #expect(result["Host"] == ["10.1.2.3:8080"])
        #expect(result["X-Forwarded-For"] == ["10.0.0.1, 192.0.2.7"])
        #expect(result["X-Forwarded-Proto"] == ["http"])
        #expect(result["X-Forwarded-Host"] == ["example.test"])
        #expect(result["X-Request-ID"] == ["rid"])
        #expect(result["traceparent"] == [trace])
    }

    @Test func expectContinueIsAnsweredByTheGatewayNotForwarded() {
        let headers = HTTPHeaders([("Host", "t"), ("Expect", "100-Continue"), ("Content-Length", "5")])
        #expect(ProxyHeaders.expectsContinue(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/items", headers: headers)))
        #expect(!ProxyHeaders.expectsContinue(HTTPRequestHead(version: .http1_0, method: .POST, uri: "/api/items", headers: headers)))
        #expect(!ProxyHeaders.expectsContinue(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/items", headers: ["Host": "t"])))
        let result = Self.upstreamHead(headers, framing: .length(5)).fields
        #expect(!result.contains(name: "expect"))
        #expect(result["Content-Length"] == ["5"])
    }

    @Test func startsATraceWhenTheIncomingOneIsInvalid() {
        for bad in [nil, "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"] {
            var headers = HTTPHeaders()
            if let bad { headers.add(name: "traceparent", value: bad) }
            var generator = SystemRandomNumberGenerator()
            let result = Self.upstreamHead(headers, writeNewTraceparent: { ProxyHeaders.writeNewTraceparent(using: &generator, into: &$0) }).fields
            #expect(ProxyHeaders.isValidTraceparent(result.first(name: "traceparent")), "\(bad ?? "nil")")
            #expect(result.first(name: "traceparent") != bad)
        }
    }

    @Test func newTracesAreValidAndDistinct() {
        var generator = SystemRandomNumberGenerator()
        let traces = (0..<1000).map { _ in
            var buffer = ByteBuffer(string: "before\r\n")
            ProxyHeaders.writeNewTraceparent(using: &generator, into: &buffer)
            let line = String(buffer: buffer)
            #expect(line.hasPrefix("before\r\ntraceparent: ") && line.hasSuffix("\r\n"))
            // By bytes: "\r\n" is one Character.
            return String(decoding: line.utf8.dropFirst("before\r\ntraceparent: ".utf8.count).dropLast(2), as: UTF8.self)
        }
        #expect(traces.allSatisfy(ProxyHeaders.isValidTraceparent))
        #expect(traces.allSatisfy { $0.utf8.count == 55 && $0.hasPrefix("00-") && $0.hasSuffix("-01") })
        #expect(Set(traces).count == traces.count)
        #expect(!ProxyHeaders.isValidTraceparent("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"))
        #expect(!ProxyHeaders.isValidTraceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"))
    }
}
