import HTTPTypes
import Testing

@testable import Gateway

@Suite struct ProxyHeadersTests {
    @Test func removesHopByHopAndConnectionListedFields() {
        var fields = HTTPFields()
        fields[.connection] = "keep-alive, X-Secret-Hop"
        fields[HTTPField.Name("Keep-Alive")!] = "timeout=5"
        fields[.transferEncoding] = "chunked"
        fields[HTTPField.Name("X-Secret-Hop")!] = "1"
        fields[.accept] = "application/json"
        fields[.requestID] = "rid"
        let result = ProxyHeaders.endToEnd(fields)
        #expect(result.map(\.name.canonicalName).sorted() == ["accept", "x-request-id"])
    }

    @Test func addsForwardingFieldsAndKeepsAValidTraceparent() {
        var fields = HTTPFields()
        fields[.xForwardedFor] = "10.0.0.1"
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        fields[ProxyHeaders.traceparent] = trace
        let result = ProxyHeaders.upstreamRequest(fields, authority: "example.test", clientAddress: "192.0.2.7", newTraceparent: { "new" })
        #expect(result[.xForwardedFor] == "10.0.0.1, 192.0.2.7")
        #expect(result[.xForwardedProto] == "http")
        #expect(result[.xForwardedHost] == "example.test")
        #expect(result[ProxyHeaders.traceparent] == trace)
    }

    @Test func startsATraceWhenTheIncomingOneIsInvalid() {
        for bad in [nil, "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"] {
            var fields = HTTPFields()
            if let bad { fields[ProxyHeaders.traceparent] = bad }
            let result = ProxyHeaders.upstreamRequest(fields, authority: nil, clientAddress: nil, newTraceparent: ProxyHeaders.newTraceparent)
            #expect(ProxyHeaders.isValidTraceparent(result[ProxyHeaders.traceparent]), "\(bad ?? "nil")")
            #expect(result[ProxyHeaders.traceparent] != bad)
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
