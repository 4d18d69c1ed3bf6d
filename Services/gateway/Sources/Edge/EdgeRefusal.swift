import HTTPTypes
import NIOHTTP1
import Shared

/// Why the gateway refused a request before forwarding anything, as the
/// problem the client gets; ``safeDescription`` carries no request data, so it
/// is safe for logs and metric labels.
struct EdgeRefusal: Error, SafeErrorDescription, Hashable {
    private enum Code: Hashable {
        case hostMissing
        case hostRepeated
        case targetForm
        case targetEncoding
        case targetEncodedSeparator
        case targetAboveRoot
        case headTooLarge
        case malformed
        case headTimeout
    }

    private let code: Code

    /// HTTP/1.1 without a `Host` header (RFC 9112 §3.2).
    static let hostMissing = EdgeRefusal(code: .hostMissing)
    /// More than one `Host` header (RFC 9112 §3.2).
    static let hostRepeated = EdgeRefusal(code: .hostRepeated)
    /// A request target in neither origin-form nor absolute-form.
    static let targetForm = EdgeRefusal(code: .targetForm)
    /// A malformed percent-encoding, an encoded NUL, a fragment or a backslash.
    static let targetEncoding = EdgeRefusal(code: .targetEncoding)
    /// `%2F` or `%5C` in the path: a separator no upstream reads the same way.
    static let targetEncodedSeparator = EdgeRefusal(code: .targetEncodedSeparator)
    /// Dot segments that climb above `/`.
    static let targetAboveRoot = EdgeRefusal(code: .targetAboveRoot)
    /// The head is over `CLIENT_MAX_HEADER_BYTES` or `CLIENT_MAX_HEADERS`.
    static let headTooLarge = EdgeRefusal(code: .headTooLarge)
    /// Anything else the HTTP/1 parser refuses (framing, smuggling shapes).
    static let malformed = EdgeRefusal(code: .malformed)
    /// The head did not arrive within `CLIENT_HEADER_TIMEOUT_MS`.
    static let headTimeout = EdgeRefusal(code: .headTimeout)

    /// What the parser's error means for the client.
    init(_ error: HTTPParserError) {
        self = error == .headerOverflow ? .headTooLarge : .malformed
    }

    private init(code: Code) {
        self.code = code
    }

    var safeDescription: String {
        switch self.code {
        case .hostMissing: "host missing"
        case .hostRepeated: "host repeated"
        case .targetForm: "target form"
        case .targetEncoding: "target encoding"
        case .targetEncodedSeparator: "target encoded separator"
        case .targetAboveRoot: "target above root"
        case .headTooLarge: "head too large"
        case .malformed: "malformed"
        case .headTimeout: "head timeout"
        }
    }

    /// The answer, as `application/problem+json`; the connection closes after it.
    var problem: ProblemDetails {
        switch self.code {
        case .hostMissing: ProblemDetails(.badRequest, detail: "An HTTP/1.1 request needs exactly one Host header; it had none.")
        case .hostRepeated: ProblemDetails(.badRequest, detail: "An HTTP/1.1 request needs exactly one Host header; it had several.")
        case .targetForm: ProblemDetails(.badRequest, detail: "The request target must be a path (origin-form) or an absolute URI.")
        case .targetEncoding: ProblemDetails(.badRequest, detail: "The request target has a malformed percent-encoding, an encoded NUL, a fragment or a backslash.")
        case .targetEncodedSeparator: ProblemDetails(.badRequest, detail: "The path has an encoded slash or backslash (%2F, %5C), which is not accepted.")
        case .targetAboveRoot: ProblemDetails(.badRequest, detail: "The path's dot segments climb above the root.")
        case .headTooLarge: ProblemDetails(.requestHeaderFieldsTooLarge, detail: "The request's header fields are over the gateway's size or count limit.")
        case .malformed: ProblemDetails(.badRequest, detail: "The request is not valid HTTP/1.1.")
        case .headTimeout: ProblemDetails(.requestTimeout, detail: "The request head did not arrive in time.")
        }
    }
}
