import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// Before a scenario: the stack must be settled (every upstream healthy,
/// every breaker closed, nothing ejected), and a few items must exist to read.
struct StackReadiness: Sendable {
    let client: HTTPClient
    let gatewayURL: String

    struct NotSettled: Error, CustomStringConvertible {
        let description: String
    }

    /// Waits until ``HealthView/unsettled`` is empty; on timeout, the error
    /// names every upstream, check and breaker that was not settled.
    func waitUntilSettled(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ["the gateway did not answer"]
        while ContinuousClock.now < deadline {
            let exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + "/health", timeoutMs: 2000)
            let body = try? JSONDecoder().decode(HealthReport.self, from: exchange.body)
            last = HealthView(gateway: body, serviceReady: nil).unsettled
            if last.isEmpty { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw NotSettled(description: "the stack did not settle within \(timeout): \(last.joined(separator: ", "))")
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
