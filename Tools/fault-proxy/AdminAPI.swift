import NIOCore
import NIOHTTP1

/// The admin API, without the HTTP plumbing:
/// `GET /health`, `GET /routes`, `GET /routes/NAME`, `PUT /routes/NAME/fault`.
struct AdminAPI: Sendable {
    /// The largest request body accepted (a larger one gets 413).
    static let bodyLimit = 64 * 1024

    let routes: [Route]

    private struct Listing: Encodable {
        var routes: [RouteStatus]
    }

    /// The response to a request; a fault change answers once every open
    /// connection of the route has applied it.
    func respond(to method: HTTPMethod, uri: String, body: [UInt8], on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        let path = String(uri.prefix { $0 != "?" })
        let segments = path.split(separator: "/").map(String.init)
        if segments == ["health"] {
            return eventLoop.makeSucceededFuture(Self.get(method) { .json(["status": "up"]) })
        }
        if segments == ["routes"] {
            return eventLoop.makeSucceededFuture(Self.get(method) { .json(Listing(routes: self.routes.map { $0.status() })) })
        }
        guard segments.first == "routes", segments.count == 2 || segments.count == 3 && segments[2] == "fault" else {
            return eventLoop.makeSucceededFuture(.problem(.notFound, "no such path: \(path)"))
        }
        guard let route = self.routes.first(where: { $0.name == segments[1] }) else {
            return eventLoop.makeSucceededFuture(.problem(.notFound, "no route named '\(segments[1])'"))
        }
        if segments.count == 2 {
            return eventLoop.makeSucceededFuture(Self.get(method) { .json(route.status()) })
        }
        guard method == .PUT else {
            return eventLoop.makeSucceededFuture(.problem(.methodNotAllowed, "\(path) takes PUT", allow: "PUT"))
        }
        do {
            let fault = try Fault(json: body)
            return route.setFault(fault, on: eventLoop).map { .json($0) }
        } catch {
            return eventLoop.makeSucceededFuture(.problem(.badRequest, error.description))
        }
    }

    private static func get(_ method: HTTPMethod, _ response: () -> AdminResponse) -> AdminResponse {
        method == .GET ? response() : .problem(.methodNotAllowed, "this path takes GET", allow: "GET")
    }
}
