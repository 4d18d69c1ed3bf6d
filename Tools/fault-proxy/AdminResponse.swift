#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOHTTP1

/// What the admin API answers to one request.
struct AdminResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    /// The `Allow` header of a 405.
    var allow: String?

    static func json(_ value: some Encodable) -> AdminResponse {
        AdminResponse(status: .ok, contentType: "application/json", body: Self.encode(value))
    }

    static func problem(_ status: HTTPResponseStatus, _ detail: String, allow: String? = nil) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/problem+json", body: Self.encode(Problem(status, detail: detail)), allow: allow)
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The values are plain structs of strings and numbers: encoding cannot fail.
        return (try? encoder.encode(value)).map(Array.init) ?? []
    }
}
