import HTTPTypes
import Hummingbird

extension HTTPRequest.Method {
    /// The methods the services recognise: RFC 9110's except CONNECT, PATCH
    /// (RFC 5789) and QUERY. Any other method is answered `501` on every path
    /// (see ``ProblemMiddleware``); these get `405` where a path doesn't declare them.
    public static let recognized: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, .query]
}

extension Router {
    /// Completes every registered path for the recognised methods it does not
    /// declare: `405 Method Not Allowed` with `Allow` (RFC 9110 §15.5.6) as a
    /// problem, and `OPTIONS` a `204` with `Allow` (§9.3.7). `HEAD` is left to
    /// `RouterOptions.autoGenerateHeadEndpoints` where the path declares
    /// `GET`, so build the router with that option. Unknown paths stay `404`.
    ///
    /// Call once, after the last route: it reads ``Router/routes``, so the
    /// answer always matches what is registered.
    public func addMethodNotAllowedRoutes() {
        var declared: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in self.routes {
            declared[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        for (path, methods) in declared.values {
            var allowed = methods
            if methods.contains(.get) { allowed.insert(.head) }
            allowed.insert(.options)
            let allow = HTTPRequest.Method.recognized.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
            for method in HTTPRequest.Method.recognized where !allowed.contains(method) {
                self.on(path, method: method) { request, _ -> Response in
                    throw ProblemDetails(
                        .methodNotAllowed, detail: "\(request.method.rawValue) is not allowed here; this path allows \(allow).",
                        headers: [.allow: allow]
                    )
                }
            }
            if !methods.contains(.options) {
                self.on(path, method: .options) { _, _ in Response(status: .noContent, headers: [.allow: allow]) }
            }
        }
    }
}
