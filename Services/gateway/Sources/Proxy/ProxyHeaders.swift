import NIOHTTP1
import Shared

/// Header handling at the proxy (RFC 9110 §7.6.1 and friends), on NIO's
/// `HTTPHeaders` as they come off the wire.
enum ProxyHeaders {
    /// Hop-by-hop fields, never forwarded (plus any named in `Connection`).
    static let hopByHop = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// W3C trace context.
    static let traceparent = "traceparent"

    /// The end-to-end fields of `headers`: hop-by-hop fields and those listed
    /// in `Connection` removed. One pass and no copy when there is none.
    static func endToEnd(_ headers: HTTPHeaders) -> HTTPHeaders {
        var named: [Substring] = []
        var found = false
        for (name, value) in headers where Self.isHopByHop(name) {
            found = true
            if Self.equalsIgnoringCase(name, "connection") {
                named += value.split(separator: ",").map { $0.drop { $0 == " " || $0 == "\t" } }
            }
        }
        guard found else { return headers }
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count)
        for (name, value) in headers
        where !Self.isHopByHop(name) && !named.contains(where: { Self.equalsIgnoringCase(name, $0.prefix { $0 != " " && $0 != "\t" }) }) {
            result.add(name: name, value: value)
        }
        return result
    }

    private static func isHopByHop(_ name: String) -> Bool {
        Self.hopByHop.contains { Self.equalsIgnoringCase(name, $0) }
    }

    /// ASCII case-insensitive equality of a field name with `other`.
    private static func equalsIgnoringCase(_ name: String, _ other: some StringProtocol) -> Bool {
        name.utf8.count == other.utf8.count
            && zip(name.utf8, other.utf8).allSatisfy { $0 == $1 || ($0 | 0x20 == $1 | 0x20 && ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }
    }

    /// The client waits for `100 Continue` before it sends its body (RFC 9110
    /// §10.1.1; an HTTP/1.0 client cannot ask).
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        (head.version.major, head.version.minor) >= (1, 1)
            && head.headers[canonicalForm: "expect"].contains { Self.equalsIgnoringCase(String($0), "100-continue") }
    }

    /// The fields sent upstream: end-to-end fields, `Expect` removed (the
    /// gateway answers `100-continue` itself: it reads the body before the first try), `Host` set to the
    /// upstream's own (the client's goes in `X-Forwarded-Host`),
    /// `X-Forwarded-For` extended with the client, `X-Forwarded-Proto` set,
    /// `X-Request-ID` set, and a valid `traceparent` (kept, or started).
    static func upstreamRequest(
        _ headers: HTTPHeaders, upstreamHost: String, clientAddress: String?, requestID: String, newTraceparent: () -> String
    ) -> HTTPHeaders {
        var result = Self.endToEnd(headers)
        if result.contains(name: "expect") { result.remove(name: "expect") }
        let clientHost = headers.first(name: "host")
        result.replaceOrAdd(name: "Host", value: upstreamHost)
        if let clientAddress {
            let previous = headers[canonicalForm: "x-forwarded-for"].joined(separator: ", ")
            result.replaceOrAdd(name: "X-Forwarded-For", value: previous.isEmpty ? clientAddress : "\(previous), \(clientAddress)")
        }
        result.replaceOrAdd(name: "X-Forwarded-Proto", value: "http")
        if let clientHost, !result.contains(name: "x-forwarded-host") { result.add(name: "X-Forwarded-Host", value: clientHost) }
        result.replaceOrAdd(name: "X-Request-ID", value: requestID)
        if !Self.isValidTraceparent(headers.first(name: Self.traceparent)) { result.replaceOrAdd(name: Self.traceparent, value: newTraceparent()) }
        return result
    }

    /// W3C trace context, version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all zero.
    static func isValidTraceparent(_ value: String?) -> Bool {
        guard let value else { return false }
        let parts = value.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].elementsEqual("00".utf8), parts[1].count == 32, parts[2].count == 16, parts[3].count == 2 else {
            return false
        }
        guard parts.dropFirst().allSatisfy({ $0.allSatisfy(Self.isLowercaseHexDigit) }) else { return false }
        return parts[1].contains { $0 != UInt8(ascii: "0") } && parts[2].contains { $0 != UInt8(ascii: "0") }
    }

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// A new sampled `traceparent`: a 128-bit trace id and a 64-bit parent id,
    /// each with its lowest bit set so that neither is ever all zeros
    /// (invalid in W3C trace context).
    static func newTraceparent<R: RandomNumberGenerator>(using generator: inout R) -> String {
        let traceHigh: UInt64 = generator.next()
        let traceLow: UInt64 = generator.next() | 1
        let parent: UInt64 = generator.next() | 1
        return HexWriter.string(count: 55) { cursor in
            cursor.ascii("00-")
            cursor.hex(traceHigh)
            cursor.hex(traceLow)
            cursor.ascii("-")
            cursor.hex(parent)
            cursor.ascii("-01")
        }
    }

    static func newTraceparent() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.newTraceparent(using: &generator)
    }
}
