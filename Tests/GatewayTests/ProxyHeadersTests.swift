import NIOHTTP1
import Testing

@testable import Gateway

@Suite struct ProxyHeadersTests {
    @Test func addsForwardingFieldsAndKeepsAValidTraceparent() {
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let headers = HTTPHeaders([("Host", "example.test"), ("X-Forwarded-For", "10.0.0.1"), ("traceparent", trace)])
        let result = ProxyHeaders.upstreamRequest(
            headers, upstreamHost: "10.1.2.3:8080", clientAddress: "192.0.2.7", requestID: "rid", newTraceparent: { "new" }
        )
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
        let result = ProxyHeaders.upstreamRequest(headers, upstreamHost: "u", clientAddress: nil, requestID: "rid", newTraceparent: { "new" })
        #expect(!result.contains(name: "expect"))
        #expect(result["Content-Length"] == ["5"])
    }

    @Test func startsATraceWhenTheIncomingOneIsInvalid() {
        for bad in [nil, "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"] {
            var headers = HTTPHeaders()
            if let bad { headers.add(name: "traceparent", value: bad) }
            let result = ProxyHeaders.upstreamRequest(
                headers, upstreamHost: "u", clientAddress: nil, requestID: "rid", newTraceparent: ProxyHeaders.newTraceparent
            )
            #expect(ProxyHeaders.isValidTraceparent(result.first(name: "traceparent")), "\(bad ?? "nil")")
            #expect(result.first(name: "traceparent") != bad)
        }
    }

    @Test func newTracesAreValidAndDistinct() {
        let traces = (0..<1000).map { _ in ProxyHeaders.newTraceparent() }
        #expect(traces.allSatisfy(ProxyHeaders.isValidTraceparent))
        #expect(traces.allSatisfy { $0.utf8.count == 55 && $0.hasPrefix("00-") && $0.hasSuffix("-01") })
        #expect(Set(traces).count == traces.count)
        #expect(!ProxyHeaders.isValidTraceparent("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"))
        #expect(!ProxyHeaders.isValidTraceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"))
    }
}
