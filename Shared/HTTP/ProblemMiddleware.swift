import HTTPTypes
import Hummingbird
import Logging

/// Turns every error thrown by a route (or by the router: 404, 501) into an
/// `application/problem+json` response. Unknown errors become a generic 500
/// whose body says nothing internal; their type is logged.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ProblemDetails {
            return problem.response(instance: request.uri.path, requestID: request.headers[.requestID])
        } catch let error as HTTPError {
            return Self.problem(for: error, method: request.method).response(instance: request.uri.path, requestID: request.headers[.requestID])
        } catch {
            context.logger.error("unhandled error", metadata: ["error.type": "\(String(reflecting: type(of: error)))", "path": "\(request.uri.path)"])
            return ProblemDetails(.internalServerError, detail: "The server could not complete the request.")
                .response(instance: request.uri.path, requestID: request.headers[.requestID])
        }
    }

    /// Maps Hummingbird's own errors (unknown route, oversized body, bad
    /// parameters) to problems with a useful detail. No route for a method the
    /// services don't recognise (WebDAV's, say) is `501` (RFC 9110 §15.6.2).
    static func problem(for error: HTTPError, method: HTTPRequest.Method) -> ProblemDetails {
        if error.status == .notFound, !HTTPRequest.Method.recognized.contains(method) {
            return ProblemDetails(.notImplemented, detail: "The method \(method.rawValue) is not implemented.")
        }
        var headers = error.headers
        headers[.contentType] = nil
        headers[.contentLength] = nil
        let detail: String? =
            switch error.status {
            case .notFound: error.body ?? "No resource at this path."
            case .contentTooLarge: error.body ?? "The request body is too large."
            case .methodNotAllowed: error.body ?? "This method is not allowed on this path."
            default: error.body
            }
        return ProblemDetails(error.status, detail: detail, headers: headers)
    }
}
