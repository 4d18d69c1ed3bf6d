import Foundation
import HTTPTypes
import Shared

/// Header handling at the proxy (RFC 9110 §7.6.1 and friends).
enum ProxyHeaders {
    /// Hop-by-hop fields, never forwarded (plus any named in `Connection`).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// W3C trace context.
    static let traceparent = HTTPField.Name("traceparent")!

    /// The end-to-end fields of `fields`: hop-by-hop fields and those listed in `Connection` removed.
    static func endToEnd(_ fields: HTTPFields) -> HTTPFields {
        var named = Self.hopByHop
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") { named.insert(token.trimmingCharacters(in: .whitespaces).lowercased()) }
        }
        return HTTPFields(fields.filter { !named.contains($0.name.canonicalName) })
    }

    /// The fields sent upstream: end-to-end fields without `Host` (the
    /// upstream's own is used; the client's goes in `X-Forwarded-Host`), `X-Forwarded-For` extended with the client,
    /// `X-Forwarded-Proto` and `-Host` set, and a valid `traceparent` (kept, or started).
    static func upstreamRequest(_ fields: HTTPFields, authority host: String?, clientAddress: String?, newTraceparent: () -> String) -> HTTPFields {
        var result = Self.endToEnd(fields)
        if let clientAddress {
            let previous = fields[values: .xForwardedFor].joined(separator: ", ")
            result[.xForwardedFor] = previous.isEmpty ? clientAddress : "\(previous), \(clientAddress)"
        }
        result[.xForwardedProto] = "http"
        if let host, result[.xForwardedHost] == nil { result[.xForwardedHost] = host }
        if !Self.isValidTraceparent(fields[Self.traceparent]) { result[Self.traceparent] = newTraceparent() }
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

    /// A new sampled `traceparent`: a 128-bit trace id and a 64-bit parent id
    /// from the system's random source, each with its lowest bit set so that
    /// neither is ever all zeros (invalid in W3C trace context). Three
    /// `UInt64`s and a lookup table: this runs for every request that comes
    /// without a trace.
    static func newTraceparent() -> String {
        var random = SystemRandomNumberGenerator()
        let traceHigh: UInt64 = random.next()
        let traceLow: UInt64 = random.next() | 1
        let parent: UInt64 = random.next() | 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(55)
        bytes.append(contentsOf: "00-".utf8)
        Self.appendHex(traceHigh, to: &bytes)
        Self.appendHex(traceLow, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendHex(parent, to: &bytes)
        bytes.append(contentsOf: "-01".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `value` as 16 lowercase hex digits, most significant first.
    private static func appendHex(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 60, through: 0, by: -4) {
            bytes.append(Self.hexDigits[Int((value >> UInt64(shift)) & 0xF)])
        }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
}
