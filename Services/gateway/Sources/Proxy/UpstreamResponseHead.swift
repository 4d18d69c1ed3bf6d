import NIOCore

/// An upstream's response head as it came off the wire, checked against RFC
/// 9112 and read for what the proxy needs (status, framing, persistence),
/// kept as bytes: the client gets its end-to-end field lines copied, not
/// decoded into strings and encoded again.
struct UpstreamResponseHead {
    /// How the body that follows is delimited (RFC 9112 §6.3).
    enum Framing: Equatable {
        /// No body: a `HEAD` request, `1xx`, `204` or `304`.
        case none
        case length(Int)
        case chunked
        /// Read until the upstream closes the connection.
        case untilClose
    }

    /// The largest head accepted, status line and fields together.
    static let maxBytes = 64 * 1024

    let status: Int
    let framing: Framing
    /// The upstream keeps the connection open after this response.
    let keepAlive: Bool
    /// The head's bytes, its final empty line included.
    private let bytes: ByteBuffer
    /// Where the status line's code starts and its line ends.
    private let statusLineEnd: Int
    /// The first `Connection` field's value, and whether there are more.
    private let connection: Range<Int>?
    private let connectionRepeated: Bool
    private let retryAfterValue: Range<Int>?

    /// The `Retry-After` field's value, if any.
    var retryAfter: String? {
        self.retryAfterValue.map { self.bytes.getString(at: self.bytes.readerIndex + $0.lowerBound, length: $0.count) ?? "" }
    }

    /// Reads `bytes`, a whole head (through its empty line), of the response
    /// to a request that was `HEAD` or not.
    init(_ bytes: ByteBuffer, toHEAD: Bool) throws(UpstreamResponseError) {
        var status = 0
        var minor = 0
        var statusLineEnd = 0
        var length: Int?
        var transferEncoding: (present: Bool, chunked: Bool) = (false, false)
        var close = false
        var keepAliveAsked = false
        var connection: Range<Int>?
        var connectionRepeated = false
        var retryAfter: Range<Int>?
        let valid = bytes.withUnsafeReadableBytes { raw -> Bool in
            guard let (code, version, end) = Self.statusLine(raw) else { return false }
            (status, minor, statusLineEnd) = (code, version, end)
            return Self.forEachField(raw, from: end) { name, value in
                switch Self.framingField(raw[name]) {
                case .contentLength:
                    guard let parsed = Self.decimal(raw[value]), length == nil || length == parsed else { return false }
                    length = parsed
                case .transferEncoding:
                    // The last coding decides (RFC 9112 §6.3); a later field's list follows an earlier one's.
                    let list = raw[value]
                    let last = list.lastIndex(of: UInt8(ascii: ",")).map { list[($0 + 1)...] } ?? list
                    transferEncoding = (true, ProxyHeaders.equalsIgnoringCase(Self.trimmed(last), "chunked"))
                case .connection:
                    if connection == nil { connection = value } else { connectionRepeated = true }
                    close = close || ProxyHeaders.options(raw[value], contain: "close".utf8)
                    keepAliveAsked = keepAliveAsked || ProxyHeaders.options(raw[value], contain: "keep-alive".utf8)
                case .retryAfter:
                    retryAfter = value
                case nil:
                    break
                }
                return true
            }
        }
        // A 101 is an upgrade the gateway never asks for; both framings at once
        // is how responses get smuggled.
        guard valid, status != 101, !(transferEncoding.present && length != nil) else { throw .malformedHead }
        let framing: Framing =
            if toHEAD || status < 200 || status == 204 || status == 304 {
                .none
            } else if transferEncoding.present {
                transferEncoding.chunked ? .chunked : .untilClose
            } else if let length {
                .length(length)
            } else {
                .untilClose
            }
        self.status = status
        self.framing = framing
        self.keepAlive = framing != .untilClose && !close && (minor >= 1 || keepAliveAsked)
        self.bytes = bytes
        self.statusLineEnd = statusLineEnd
        self.connection = connection
        self.connectionRepeated = connectionRepeated
        self.retryAfterValue = retryAfter
    }

    /// Writes the head as the client gets it, without its empty line:
    /// `HTTP/1.1`, the upstream's status and reason, and its end-to-end field
    /// lines as they came, less any `X-Request-ID` (the caller writes the
    /// gateway's). `Transfer-Encoding` stays when `keepsTransferEncoding` (the
    /// chunks are passed on as they came); `Content-Length` always stays.
    func writeForClient(into buffer: inout ByteBuffer, keepsTransferEncoding: Bool) {
        self.bytes.withUnsafeReadableBytes { raw in
            // Lines that go as they came are written in runs, one write for
            // each stretch of them (usually the whole head).
            var run = 0..<0
            func copy(_ line: Range<Int>) {
                if run.upperBound == line.lowerBound {
                    run = run.lowerBound..<line.upperBound
                    return
                }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[run]))
                run = line
            }
            let statusLine = 0..<Self.lineEnd(raw, after: self.statusLineEnd)
            if raw[0..<9].elementsEqual("HTTP/1.1 ".utf8) {
                run = statusLine
            } else {
                buffer.writeStaticString("HTTP/1.1 ")
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[9..<statusLine.upperBound]))
                run = statusLine.upperBound..<statusLine.upperBound
            }
            _ = Self.forEachField(raw, from: self.statusLineEnd) { name, value in
                if self.isForwarded(raw[name], raw, keepsTransferEncoding: keepsTransferEncoding) {
                    // The whole line, from its name through its CRLF.
                    copy(name.lowerBound..<Self.lineEnd(raw, after: value.upperBound))
                }
                return true
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[run]))
        }
    }

    private func isForwarded(_ name: Slice<UnsafeRawBufferPointer>, _ raw: UnsafeRawBufferPointer, keepsTransferEncoding: Bool) -> Bool {
        switch Self.framingField(name) {
        case .contentLength: return true
        case .transferEncoding: return keepsTransferEncoding
        default: break
        }
        switch ProxyHeaders.field(name) {
        case .hopByHop, .requestID: return false
        default: break
        }
        guard let connection = self.connection else { return true }
        if ProxyHeaders.options(raw[connection], contain: name) { return false }
        guard self.connectionRepeated else { return true }
        // More than one Connection field: each is read (rare).
        return Self.forEachField(raw, from: self.statusLineEnd) { other, value in
            Self.framingField(raw[other]) != .connection || !ProxyHeaders.options(raw[value], contain: name)
        }
    }

    // MARK: reading the bytes

    private enum FramingField {
        case contentLength, transferEncoding, connection, retryAfter
    }

    private static func framingField(_ name: Slice<UnsafeRawBufferPointer>) -> FramingField? {
        switch name.count {
        case 10: ProxyHeaders.equalsIgnoringCase(name, "connection") ? .connection : nil
        case 11: ProxyHeaders.equalsIgnoringCase(name, "retry-after") ? .retryAfter : nil
        case 14: ProxyHeaders.equalsIgnoringCase(name, "content-length") ? .contentLength : nil
        case 17: ProxyHeaders.equalsIgnoringCase(name, "transfer-encoding") ? .transferEncoding : nil
        default: nil
        }
    }

    /// `HTTP/1.x SP 3DIGIT SP reason CRLF` (the reason may be empty; its SP
    /// too): the code, the minor version and where the line ends (its CRLF).
    private static func statusLine(_ raw: UnsafeRawBufferPointer) -> (code: Int, minor: Int, end: Int)? {
        guard raw.count >= 14, raw.starts(with: "HTTP/1.".utf8), Self.isDigit(raw[7]), raw[8] == UInt8(ascii: " "),
            raw[9...11].allSatisfy(Self.isDigit), raw[12] == UInt8(ascii: " ") || raw[12] == UInt8(ascii: "\r")
        else { return nil }
        let code = raw[9...11].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard code >= 100, let end = Self.lineBreak(raw, from: 12) else { return nil }
        return (code, Int(raw[7] - UInt8(ascii: "0")), end)
    }

    /// Calls `body` with the name and the value (without the blanks around
    /// it) of each field line after `start` (a line's CRLF), until the empty
    /// line; `false` when a line is malformed (no colon, a blank before it, a
    /// name that is not a token, a folded line, a CR without LF, a NUL) or
    /// when `body` returns `false`.
    private static func forEachField(
        _ raw: UnsafeRawBufferPointer, from start: Int, _ body: (Range<Int>, Range<Int>) -> Bool
    ) -> Bool {
        var line = start + 2
        while line < raw.count {
            guard let end = Self.lineBreak(raw, from: line) else { return false }
            if end == line { return true }
            guard let colon = raw[line..<end].firstIndex(of: UInt8(ascii: ":")), colon > line,
                raw[line..<colon].allSatisfy(Self.isTokenByte)
            else { return false }
            let value = Self.trimmedRange(raw, colon + 1..<end)
            guard !raw[value].contains(0), body(line..<colon, value) else { return false }
            line = end + 2
        }
        return false
    }

    /// The CR of the CRLF that ends the line starting at or before `start`;
    /// `nil` if a CR stands without its LF, or a LF without its CR.
    private static func lineBreak(_ raw: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index < raw.count {
            switch raw[index] {
            case UInt8(ascii: "\r"): return index + 1 < raw.count && raw[index + 1] == UInt8(ascii: "\n") ? index : nil
            case UInt8(ascii: "\n"): return nil
            default: index += 1
            }
        }
        return nil
    }

    /// The end of the line holding `index` (past its CRLF).
    private static func lineEnd(_ raw: UnsafeRawBufferPointer, after index: Int) -> Int {
        (Self.lineBreak(raw, from: index) ?? raw.count - 2) + 2
    }

    private static func trimmedRange(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, Self.isBlank(raw[lower]) { lower += 1 }
        while upper > lower, Self.isBlank(raw[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        bytes[Self.trimmedRange(bytes.base, bytes.startIndex..<bytes.endIndex)]
    }

    /// A `Content-Length` value: digits only, at most 18 of them.
    private static func decimal(_ bytes: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy(Self.isDigit) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// RFC 9110 §5.6.2 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
