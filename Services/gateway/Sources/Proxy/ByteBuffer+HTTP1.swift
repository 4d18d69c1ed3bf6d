import NIOCore
import NIOHTTP1

/// HTTP/1.1 as the proxy writes it: heads and chunks straight into a buffer,
/// without NIO's encoders (no header list copied to check framing).
extension ByteBuffer {
    /// A status line: `HTTP/1.1 <code> <reason>`.
    mutating func writeHTTP1StatusLine(_ status: HTTPResponseStatus) {
        self.writeStaticString("HTTP/1.1 ")
        self.writeString(String(status.code))
        self.writeStaticString(" ")
        self.writeString(status.reasonPhrase)
        self.writeStaticString("\r\n")
    }

    /// One field line, in one write (each `ByteBuffer` write checks its
    /// storage and capacity again: a head is a few dozen of them otherwise).
    mutating func writeHTTP1Field(_ name: String, _ value: String) {
        self.writeHTTP1Line(name, ": ", value, "\r\n")
    }

    /// `first`, `separator`, `second` and `end` in one write: a field line,
    /// or the request line's method and target.
    mutating func writeHTTP1Line(_ first: String, _ separator: String, _ second: String, _ end: String) {
        let count = first.utf8.count + separator.utf8.count + second.utf8.count + end.utf8.count
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            var offset = 0
            func append(_ part: String) {
                UnsafeMutableRawBufferPointer(rebasing: out[offset...]).copyBytes(from: part.utf8)
                offset += part.utf8.count
            }
            append(first)
            append(separator)
            append(second)
            append(end)
            return offset
        }
    }

    /// `data` as one chunk of a chunked body (nothing for no data: an empty
    /// chunk would end the body).
    mutating func writeHTTP1Chunk(_ data: ByteBuffer) {
        guard data.readableBytes > 0 else { return }
        self.writeString(String(data.readableBytes, radix: 16))
        self.writeStaticString("\r\n")
        self.writeImmutableBuffer(data)
        self.writeStaticString("\r\n")
    }
}
