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

    /// One field line.
    mutating func writeHTTP1Field(_ name: String, _ value: String) {
        self.writeString(name)
        self.writeStaticString(": ")
        self.writeString(value)
        self.writeStaticString("\r\n")
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
