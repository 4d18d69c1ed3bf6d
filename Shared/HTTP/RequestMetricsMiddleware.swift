import Hummingbird
import Metrics

/// Counts requests by route, method and status, and times them
/// (`http_requests_total`, `http_request_duration_seconds`).
///
/// The route is the matched route pattern (e.g. `/api/items/{id}`), never the
/// raw path, so labels stay bounded; unmatched requests count as `NotFound`.
/// `observe`, when given, hears each request's path, status and duration too.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let telemetry: Telemetry
    let observe: (@Sendable (_ path: String, _ status: Int, _ duration: Duration) -> Void)?

    public init(telemetry: Telemetry, observe: (@Sendable (_ path: String, _ status: Int, _ duration: Duration) -> Void)? = nil) {
        self.telemetry = telemetry
        self.observe = observe
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            self.record(request, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
        self.record(request, context: context, status: response.status.code, since: start)
        return response
    }

    private func record(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - start
        self.observe?(request.uri.path, status, duration)
        let route = context.endpointPath ?? "NotFound"
        let dimensions = [("route", route), ("method", request.method.rawValue), ("status", String(status))]
        Counter(label: "http_requests_total", dimensions: dimensions, factory: self.telemetry.factory).increment()
        Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("method", request.method.rawValue)], preferredDisplayUnit: .seconds, factory: self.telemetry.factory)
            .record(duration: duration)
    }
}
