import NIOHTTP1

/// An RFC 9457 problem body (`application/problem+json`).
struct Problem: Codable, Sendable {
    var type = "about:blank"
    var title: String
    var status: Int
    var detail: String

    init(_ status: HTTPResponseStatus, detail: String) {
        self.title = status.reasonPhrase
        self.status = Int(status.code)
        self.detail = detail
    }
}
