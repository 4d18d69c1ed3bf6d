import Foundation
import TestSupport

/// A client of a server-sent event stream over a plain TCP socket
/// (``RawHTTPConnection``), so a test controls the connection itself:
/// ``close()`` is a real socket close.
///
/// Speaks just enough HTTP/1.1: one `GET`, the response head, a chunked or
/// length-delimited body. Every read waits at most `timeout`.
final class EventStreamClient: @unchecked Sendable {
    /// One server-sent event.
    struct Event: Sendable {
        var name: String
        var data: String

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(self.data.utf8))
        }
    }

    let status: Int
    let headers: [String: String]
    private let connection: RawHTTPConnection
    private let timeout: Duration
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private let chunked: Bool
    private var chunkLeft = 0
    private var ended = false

    /// Connects to 127.0.0.1:`port` and sends `GET path`; returns once the response head is read.
    init(port: Int, path: String = "/health/events", timeout: Duration = .seconds(10)) throws {
        self.connection = try RawHTTPConnection(port: port)
        self.timeout = timeout
        try self.connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n\r\n")
        var raw: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            let bytes = try self.connection.receive(timeout: timeout)
            guard !bytes.isEmpty else { throw TestServerError("no response head from port \(port)") }
            raw.append(contentsOf: bytes)
            headEnd = Self.find([13, 10, 13, 10], in: raw)
        }
        let head = String(decoding: raw[..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        self.status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        self.chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
        self.raw = Array(raw[(headEnd! + 4)...])
        if self.chunked {
            self.dechunk()
        } else {
            self.body = self.raw
        }
    }

    /// Closes the socket (a real close; idempotent).
    func close() {
        self.connection.close()
    }

    /// The next event, skipping comments and `retry:` lines; `nil` when the stream ended.
    func next() throws -> Event? {
        while true {
            if let end = Self.find([10, 10], in: self.body) {
                let block = String(decoding: self.body[..<end], as: UTF8.self)
                self.body.removeSubrange(...(end + 1))
                var name = "message"
                var data: [String] = []
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                }
                if !data.isEmpty { return Event(name: name, data: data.joined(separator: "\n")) }
                continue
            }
            guard !self.ended, try self.receive() else { return nil }
        }
    }

    /// The next event named `name` that satisfies `condition`, skipping others.
    func next(_ name: String, where condition: (Event) throws -> Bool = { _ in true }) throws -> Event {
        while let event = try self.next() {
            if event.name == name, try condition(event) { return event }
        }
        throw TestServerError("the event stream ended before a matching \(name) event")
    }

    /// The rest of a length-delimited body (an error answer).
    func remainingBody() throws -> String {
        while try self.receive() {}
        return String(decoding: self.body, as: UTF8.self)
    }

    /// Reads from the socket and moves body bytes (de-chunked) to `body`; `false` at the end.
    private func receive() throws -> Bool {
        if self.ended { return false }
        if !self.chunked, let length = self.headers["content-length"].flatMap(Int.init), self.body.count >= length { return false }
        let bytes = try self.connection.receive(timeout: self.timeout)
        if bytes.isEmpty {
            self.ended = true
            return false
        }
        guard self.chunked else {
            self.body.append(contentsOf: bytes)
            return true
        }
        self.raw.append(contentsOf: bytes)
        self.dechunk()
        return true
    }

    /// Moves the complete part of the chunked bytes read to `body`.
    private func dechunk() {
        while true {
            if self.chunkLeft > 0 {
                let take = min(self.chunkLeft, self.raw.count)
                guard take > 0 else { break }
                self.body.append(contentsOf: self.raw[..<take])
                self.raw.removeSubrange(..<take)
                self.chunkLeft -= take
                continue
            }
            // A chunk's end (CRLF), then the next chunk's size line.
            if self.raw.starts(with: [13, 10]) { self.raw.removeSubrange(..<2) }
            guard let lineEnd = Self.find([13, 10], in: self.raw) else { break }
            let size = Int(String(decoding: self.raw[..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            self.raw.removeSubrange(...(lineEnd + 1))
            if size == 0 {
                self.ended = true
                break
            }
            self.chunkLeft = size
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
