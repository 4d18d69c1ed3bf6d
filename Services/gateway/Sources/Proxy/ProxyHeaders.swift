import NIOCore
import NIOHTTP1
import Shared

/// Header handling at the proxy (RFC 9110 §7.6.1 and friends), on NIO's
/// `HTTPHeaders` as they come off the wire.
enum ProxyHeaders {
    /// W3C trace context.
    static let traceparent = "traceparent"

    /// The fields the proxy acts on: hop-by-hop ones (`Connection`,
    /// `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding`,
    /// `Upgrade`, `Proxy-Authenticate`, `Proxy-Authorization`: never
    /// forwarded, nor any named in `Connection`), and those it sets on the way upstream.
    enum Field {
        case hopByHop, expect, host, forwardedFor, forwardedProto, forwardedHost, requestID, traceparent, contentLength
    }

    /// Which of ``Field`` `name` is, if any; its length picks the few names to compare.
    private static func field(_ name: String) -> Field? {
        Self.field(name.utf8)
    }

    /// Which of ``Field`` the name in `bytes` is, if any.
    static func field(_ name: some Collection<UInt8>) -> Field? {
        func named(_ other: StaticString) -> Bool { Self.equalsIgnoringCase(name, other) }
        switch name.count {
        case 2: return named("te") ? .hopByHop : nil
        case 4: return named("host") ? .host : nil
        case 6: return named("expect") ? .expect : nil
        case 7: return named("trailer") || named("upgrade") ? .hopByHop : nil
        case 10: return named("connection") || named("keep-alive") ? .hopByHop : nil
        case 11: return named("traceparent") ? .traceparent : nil
        case 12: return named("x-request-id") ? .requestID : nil
        case 14: return named("content-length") ? .contentLength : nil
        case 15: return named("x-forwarded-for") ? .forwardedFor : nil
        case 16: return named("proxy-connection") ? .hopByHop : named("x-forwarded-host") ? .forwardedHost : nil
        case 17: return named("transfer-encoding") ? .hopByHop : named("x-forwarded-proto") ? .forwardedProto : nil
        case 18: return named("proxy-authenticate") ? .hopByHop : nil
        case 19: return named("proxy-authorization") ? .hopByHop : nil
        default: return nil
        }
    }

    /// Whether a `Connection` field of `headers` names `name`.
    private static func isListedInConnection(_ name: String, _ headers: HTTPHeaders) -> Bool {
        headers.contains { Self.equalsIgnoringCase($0.name.utf8, "connection") && Self.options($0.value.utf8, contain: name.utf8) }
    }

    /// Whether the comma-separated `list` has `name` among its options
    /// (blanks around each ignored), read in place.
    static func options(_ bytes: some Collection<UInt8>, contain name: some Collection<UInt8>) -> Bool {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            if Self.equalsIgnoringCase(name, bytes[start..<end].drop(while: isBlank).prefix { !isBlank($0) }) { return true }
            start = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        return false
    }

    /// ASCII case-insensitive equality of a field name with `other`.
    static func equalsIgnoringCase(_ name: some Collection<UInt8>, _ other: some Collection<UInt8>) -> Bool {
        name.count == other.count
            && zip(name, other).allSatisfy { $0 == $1 || ($0 | 0x20 == $1 | 0x20 && ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }
    }

    static func equalsIgnoringCase(_ name: some Collection<UInt8>, _ other: StaticString) -> Bool {
        other.withUTF8Buffer { Self.equalsIgnoringCase(name, $0) }
    }

    /// The client waits for `100 Continue` before it sends its body (RFC 9110
    /// §10.1.1; an HTTP/1.0 client cannot ask).
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        (head.version.major, head.version.minor) >= (1, 1)
            && head.headers[canonicalForm: "expect"].contains { Self.equalsIgnoringCase($0.utf8, "100-continue") }
    }

    /// How a request's body goes upstream: the head's framing field.
    enum BodyFraming: Equatable {
        /// No body: no framing field.
        case none
        case length(Int)
        case chunked
    }

    /// Writes the head the upstream gets into `buffer`, in one pass over the
    /// client's fields: the request line (as HTTP/1.1), the end-to-end
    /// fields, `Expect` removed (the gateway answers `100-continue` itself:
    /// it reads the body before the first try), `Host` set to the upstream's
    /// own (the client's goes in `X-Forwarded-Host`), `X-Forwarded-For`
    /// extended with the client, `X-Forwarded-Proto` set, `X-Request-ID` set,
    /// a valid `traceparent` (kept, or started by `writeNewTraceparent`), the body's `framing` (the
    /// client's `Content-Length` never passes as it came), and the empty line.
    static func writeUpstreamRequest(
        _ head: HTTPRequestHead, framing: BodyFraming, upstreamHost: String, clientAddress: String?, requestID: String,
        writeNewTraceparent: (inout ByteBuffer) -> Void, into buffer: inout ByteBuffer
    ) {
        let headers = head.headers
        let connection = headers.contains(name: "connection")
        let keepsTrace = Self.isValidTraceparent(headers.first(name: Self.traceparent))
        var clientHost: String?
        var forwardedFor = false
        var forwardedHost = false
        buffer.writeHTTP1Line(head.method.rawValue, " ", head.uri, " HTTP/1.1\r\n")
        for (name, value) in headers {
            let field = Self.field(name)
            switch field {
            case .host where clientHost == nil: clientHost = value
            case .forwardedFor: forwardedFor = true
            default: break
            }
            guard field != .hopByHop, !(connection && Self.isListedInConnection(name, headers)) else { continue }
            switch field {
            case .expect, .host, .forwardedProto, .requestID, .contentLength: continue
            case .forwardedFor where clientAddress != nil: continue
            case .traceparent where !keepsTrace: continue
            case .forwardedHost: forwardedHost = true
            default: break
            }
            buffer.writeHTTP1Field(name, value)
        }
        buffer.writeHTTP1Field("Host", upstreamHost)
        if let clientAddress {
            let previous = forwardedFor ? headers[canonicalForm: "x-forwarded-for"].joined(separator: ", ") : ""
            buffer.writeHTTP1Field("X-Forwarded-For", previous.isEmpty ? clientAddress : "\(previous), \(clientAddress)")
        }
        buffer.writeHTTP1Field("X-Forwarded-Proto", "http")
        if let clientHost, !forwardedHost { buffer.writeHTTP1Field("X-Forwarded-Host", clientHost) }
        buffer.writeHTTP1Field("X-Request-ID", requestID)
        if !keepsTrace { writeNewTraceparent(&buffer) }
        switch framing {
        case .none: break
        case .length(let length): buffer.writeHTTP1Field("Content-Length", String(length))
        case .chunked: buffer.writeHTTP1Field("Transfer-Encoding", "chunked")
        }
        buffer.writeStaticString("\r\n")
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

    /// A new sampled `traceparent` field line: a 128-bit trace id and a
    /// 64-bit parent id, each with its lowest bit set so that neither is ever
    /// all zeros (invalid in W3C trace context), written straight into `buffer`.
    static func writeNewTraceparent<R: RandomNumberGenerator>(using generator: inout R, into buffer: inout ByteBuffer) {
        let traceHigh: UInt64 = generator.next()
        let traceLow: UInt64 = generator.next() | 1
        let parent: UInt64 = generator.next() | 1
        HexWriter.write(count: 70, into: &buffer) { cursor in
            cursor.ascii("traceparent: 00-")
            cursor.hex(traceHigh)
            cursor.hex(traceLow)
            cursor.ascii("-")
            cursor.hex(parent)
            cursor.ascii("-01\r\n")
        }
    }
}
