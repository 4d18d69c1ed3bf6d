import Hummingbird
import Shared

/// Answers `503` with `Retry-After` while start-up work (the schema) is not
/// done, for routes that need it: a request that arrives early (the gateway
/// tries an unready replica when none is ready) gets the same answer as one
/// during a PostgreSQL outage, never a `500` from a table that is not there yet.
struct StartupGateMiddleware<Context: RequestContext>: RouterMiddleware {
    let lifecycle: LifecycleState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard self.lifecycle.isStarted else { throw Self.starting }
        return try await next(request, context)
    }

    static var starting: ProblemDetails {
        ProblemDetails(.serviceUnavailable, title: "Starting", detail: "The service is still starting; retry later.", retryAfterSeconds: 1)
    }
}
