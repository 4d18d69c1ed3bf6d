import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The fault proxy's admin API (`Tools/fault-proxy`): sets and lifts a
/// route's fault.
struct FaultProxyClient: Sendable {
    let client: HTTPClient
    /// e.g. `http://127.0.0.1:8090`.
    let url: String

    func inject(_ fault: NetworkFault) async throws {
        try await self.put(route: fault.route, json: fault.json)
    }

    func lift(route: String) async throws {
        try await self.put(route: route, json: #"{"kind":"none"}"#)
    }

    /// Lifts the fault of every route the proxy has; for the clean-up after
    /// a run that ended early.
    func liftAll() async throws {
        struct Routes: Decodable {
            struct Route: Decodable { var name: String }
            var routes: [Route]
        }
        let exchange = await Exchange.perform(self.client, .GET, "\(self.url)/routes", timeoutMs: 2000)
        guard exchange.status == 200, let routes = try? JSONDecoder().decode(Routes.self, from: exchange.body) else {
            throw DemoFailure(description: "the fault proxy at \(self.url) did not list its routes (\(exchange.status.map(String.init) ?? exchange.error ?? "no answer"))")
        }
        for route in routes.routes { try await self.lift(route: route.name) }
    }

    private func put(route: String, json: String) async throws {
        let exchange = await Exchange.perform(self.client, .PUT, "\(self.url)/routes/\(route)/fault", json: json, timeoutMs: 2000)
        guard exchange.status == 200 else {
            let answer = exchange.status.map { "\($0) \(String(decoding: exchange.body.prefix(300), as: UTF8.self))" } ?? exchange.error ?? "no answer"
            throw DemoFailure(description: "the fault proxy did not set \(route)'s fault \(json): \(answer)")
        }
    }
}
