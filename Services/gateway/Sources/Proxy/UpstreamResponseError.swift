import Shared

/// Why an upstream's response could not be read: the connection closes and
/// the client gets `502` (or, once part of the answer went out, a closed
/// connection). Payload-free: safe for logs and labels.
struct UpstreamResponseError: Error, SafeErrorDescription, Hashable {
    private enum Code: Hashable {
        case malformedHead, headTooLarge, malformedChunk, unexpected
    }

    private let code: Code

    /// The status line or a field line breaks RFC 9112's grammar, the
    /// framing fields contradict each other, or a `101` came unasked.
    static let malformedHead = UpstreamResponseError(code: .malformedHead)
    /// The head is over ``UpstreamResponseHead/maxBytes``.
    static let headTooLarge = UpstreamResponseError(code: .headTooLarge)
    /// A chunk's size line, its end or the trailer section is malformed.
    static let malformedChunk = UpstreamResponseError(code: .malformedChunk)
    /// Bytes came when no response was due, or after the response's end.
    static let unexpected = UpstreamResponseError(code: .unexpected)

    var safeDescription: String {
        switch self.code {
        case .malformedHead: "malformed response head"
        case .headTooLarge: "response head too large"
        case .malformedChunk: "malformed chunked body"
        case .unexpected: "bytes out of step"
        }
    }
}
