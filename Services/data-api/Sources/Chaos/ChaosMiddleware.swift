import Hummingbird
import Shared

/// Applies ``ChaosSettings`` to the routes it wraps: sleeps `latencyMs`, then
/// answers a share `errorRate` of requests, and every request to `failPath`,
/// with a 500 problem.
struct ChaosMiddleware<Context: RequestContext>: RouterMiddleware {
    let settings: ChaosSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let chaos = self.settings.current
        if chaos.latencyMs > 0 {
            try await Task.sleep(for: .milliseconds(chaos.latencyMs))
        }
        if chaos.errorRate > 0, Double.random(in: 0..<1) < chaos.errorRate {
            throw ProblemDetails(.internalServerError, title: "Injected fault", detail: "Fault injection is on (CHAOS_ERROR_RATE).")
        }
        if let failPath = chaos.failPath, request.uri.path == failPath {
            throw ProblemDetails(.internalServerError, title: "Injected fault", detail: "Fault injection fails this path (failPath).")
        }
        return try await next(request, context)
    }
}
