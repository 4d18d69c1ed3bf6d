#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A response of the admin API as read off the wire.
struct AdminReply: Sendable {
    let status: Int
    /// Header names in lower case.
    let headers: [String: String]
    let body: [UInt8]

    init(_ raw: [UInt8]) throws {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.firstRange(of: "\r\n\r\n") else { throw TestClient.Failure(description: "no end of head in: \(text)") }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClient.Failure(description: "bad status line in: \(text)") }
        self.status = status
        self.headers = Dictionary(
            lines.dropFirst().compactMap { line in
                line.firstIndex(of: ":").map { (line[..<$0].lowercased(), String(line[line.index(after: $0)...].drop { $0 == " " })) }
            },
            uniquingKeysWith: { first, _ in first }
        )
        self.body = Array(text[split.upperBound...].utf8)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(self.body))
    }
}
