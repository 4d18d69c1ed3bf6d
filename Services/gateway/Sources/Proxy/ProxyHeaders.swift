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
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2 else { return false }
        let hex = Set("0123456789abcdef")
        guard parts.dropFirst().allSatisfy({ $0.allSatisfy(hex.contains) }) else { return false }
        return parts[1].contains { $0 != "0" } && parts[2].contains { $0 != "0" }
    }

    static func newTraceparent() -> String {
        func hex(_ bytes: Int) -> String {
            (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
        }
        return "00-\(hex(16))-\(hex(8))-01"
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
}
