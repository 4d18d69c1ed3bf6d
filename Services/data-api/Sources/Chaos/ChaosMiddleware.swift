import Hummingbird
import Shared

/// Applies ``ChaosSettings`` to the routes it wraps: sleeps `latencyMs`, then
/// answers a share `errorRate` of requests with a 500 problem.
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
        return try await next(request, context)
    }
}
