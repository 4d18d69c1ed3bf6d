#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes
import Hummingbird

/// An HTTP error answered as `application/problem+json` (RFC 9457).
///
/// `detail` is written for the client and must never carry a secret or an
/// internal address; `errors` lists per-field validation failures.
public struct ProblemDetails: Error, HTTPResponseError, Sendable, Equatable {
    public struct FieldError: Sendable, Codable, Equatable {
        public var field: String
        public var detail: String

        public init(field: String, detail: String) {
            self.field = field
            self.detail = detail
        }
    }

    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String?
    public var errors: [FieldError]?
    /// Sent as `Retry-After` (seconds) on 503 and 429.
    public var retryAfterSeconds: Int?
    public var extraHeaders: HTTPFields

    public init(
        _ status: HTTPResponse.Status, title: String? = nil, detail: String? = nil, errors: [FieldError]? = nil,
        retryAfterSeconds: Int? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.retryAfterSeconds = retryAfterSeconds
        self.extraHeaders = headers
    }

    public static let mediaType = "application/problem+json"

    private struct Body: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String?
        var instance: String?
        var errors: [FieldError]?
        var requestId: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response(instance: request.uri.path, requestID: request.headers[.requestID])
    }

    /// The response, without a request at hand.
    public func response(instance: String? = nil, requestID: String? = nil) -> Response {
        var headers = self.extraHeaders
        headers[.contentType] = Self.mediaType
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: self.encodedBody(instance: instance, requestID: requestID)))
    }

    /// The JSON body alone, for answers written below the router.
    public func encodedBody(instance: String? = nil, requestID: String? = nil) -> ByteBuffer {
        let body = Body(title: self.title, status: self.status.code, detail: self.detail, instance: instance, errors: self.errors, requestId: requestID)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data(#"{"title":"Error"}"#.utf8)
        return ByteBuffer(bytes: data)
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`: one request's id across every hop.
    public static let requestID = HTTPField.Name("X-Request-ID")!
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    public static let xCache = HTTPField.Name("X-Cache")!
}
