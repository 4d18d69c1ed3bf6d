import AsyncHTTPClient
import Foundation

/// Before a scenario: the stack must be settled (every upstream healthy,
/// every breaker closed, nothing ejected), and a few items must exist to read.
struct StackReadiness: Sendable {
    let client: HTTPClient
    let gatewayURL: String

    struct NotSettled: Error, CustomStringConvertible {
        let description: String
    }

    func waitUntilSettled(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            let exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + "/health", timeoutMs: 2000)
            if let body = try? JSONDecoder().decode(HealthBody.self, from: exchange.body) {
                let view = HealthView(gateway: body, serviceReady: nil)
                let settled = !view.upstreams.isEmpty && view.upstreams.values.allSatisfy { $0.status != "fail" }
                    && view.breakers.values.allSatisfy { $0 == "closed" }
                if settled { return }
                last = "gateway \(body.status)"
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw NotSettled(description: "the stack did not settle within \(timeout) (last: \(last)); is it up?")
    }

    /// Creates `count` items to read during the run; returns their ids.
    func seedItems(count: Int, label: String) async throws -> [Int] {
        var ids: [Int] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ids.count < count, ContinuousClock.now < deadline {
            let exchange = await Exchange.perform(
                self.client, .POST, self.gatewayURL + "/api/items", json: #"{"name":"seed-\#(label)-\#(ids.count)"}"#,
                headers: [("Idempotency-Key", UUID().uuidString)], timeoutMs: 10_000
            )
            if let id = LoadGenerator.itemID(exchange.body), exchange.status == 201 {
                ids.append(id)
            } else {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        guard ids.count == count else { throw NotSettled(description: "could not create \(count) items to read through \(self.gatewayURL)") }
        return ids
    }
}
