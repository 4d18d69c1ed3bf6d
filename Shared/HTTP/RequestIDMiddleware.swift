import HTTPTypes
import Hummingbird
import Logging

/// Keeps `X-Request-ID` across hops: takes the client's id when it is sane
/// (1–128 visible ASCII characters), otherwise makes one; puts it on the
/// request (for handlers and proxies), in the logger's metadata, and on the response.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = RequestID.valid(request.headers[.requestID]) ?? RequestID.make()
        var head = request.head
        head.headerFields[.requestID] = id
        let request = Request(head: head, body: request.body)
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }
}
