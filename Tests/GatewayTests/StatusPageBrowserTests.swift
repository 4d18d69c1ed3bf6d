import Foundation
import TestSupport
import Testing

/// The status page (`/status`) in a real headless Chromium (``ChromiumPage``)
/// on the real stack: the built gateway, two data-api processes, real
/// PostgreSQL and Redis. Assertions are on the rendered DOM.
///
/// Screenshots go to `STATUS_SCREENSHOT_DIR` (default: a folder in the
/// temporary directory, printed); docs/status-page.png is one of them.
@Suite(.serialized) struct StatusPageBrowserTests {
    /// What the page shows, read from its DOM.
    struct PageState: Decodable {
        struct Replica: Decodable {
            var name: String
            var status: String
            var breaker: String
            var checks: [String: String]
        }

        var overall: String
        var connection: String
        var stale: String
        var marker: String?
        var replicas: [Replica]
        var history: [String]
        var requests: String
        var overflows: Bool
    }

    static let readState = """
        JSON.stringify({
          overall: document.getElementById('overall').dataset.status,
          connection: document.getElementById('connection').dataset.state,
          stale: document.body.dataset.stale,
          marker: window.statusTestMarker || null,
          replicas: [...document.querySelectorAll('[data-replica]')].map((card) => ({
            name: card.dataset.replica, status: card.dataset.status,
            breaker: card.querySelector('[data-field=breaker]').textContent,
            checks: Object.fromEntries([...card.querySelectorAll('tr[data-check]')].map((row) => [row.dataset.check, row.dataset.status])),
          })),
          history: [...document.querySelectorAll('#history li')].map((item) => item.dataset.subject + ' ' + item.dataset.to),
          requests: document.getElementById('requests').textContent,
          overflows: document.documentElement.scrollWidth > document.documentElement.clientWidth,
        })
        """

    static func state(_ page: ChromiumPage) async throws -> PageState {
        guard let json = try await page.evaluate(Self.readState) as? String else { throw TestServerError("the page returned no state") }
        return try JSONDecoder().decode(PageState.self, from: Data(json.utf8))
    }

    static var screenshotDirectory: String {
        get throws {
            let directory = ProcessInfo.processInfo.environment["STATUS_SCREENSHOT_DIR"] ?? NSTemporaryDirectory() + "status-page-screenshots"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return directory
        }
    }

    static let checks = ["disk:utilization", "memory:utilization", "postgres:responseTime", "redis:responseTime"]

    @Test func showsEveryReplicaAndCheckAndTurnsFailWithoutReload() async throws {
        let stores = try await DataStores.own()
        let stack = try await EndToEndServers(stores).startStack()
        for _ in 0..<20 { _ = try await EndToEndServers.get(stack.base + "/api/data") }
        let page = try await ChromiumPage(url: stack.base + "/status", width: 1280, height: 900)
        try await waitUntil("the page shows both replicas, every check, pass") {
            let state = try await Self.state(page)
            return state.overall == "pass" && state.connection == "live" && state.replicas.map(\.name) == ["replica-1", "replica-2"]
                && state.replicas.allSatisfy { $0.status == "pass" && $0.checks.keys.sorted() == Self.checks && $0.checks.values.allSatisfy { $0 == "pass" } }
        }
        #expect(try await Self.state(page).replicas.allSatisfy { $0.breaker == "closed" })
        try await waitUntil("the page counts the client requests") { try await Self.state(page).requests == "20" }
        // A reload would lose this.
        _ = try await page.evaluate("window.statusTestMarker = 'same page'; true")

        try await offloaded { [postgres = stores.postgres.server] in try postgres.stop(mode: "immediate") }
        // Two failed checks at 100 ms, a poll round at 100 ms, then the event: well within the bound.
        try await waitUntil(timeout: .seconds(15), "the page shows fail") {
            let state = try await Self.state(page)
            return state.overall == "fail" && state.replicas.allSatisfy { $0.status == "fail" && $0.checks["postgres:responseTime"] == "fail" }
        }
        let failed = try await Self.state(page)
        #expect(failed.marker == "same page", "the page was reloaded")
        #expect(failed.history.contains("gateway fail"))
        let directory = try Self.screenshotDirectory
        try await page.screenshot(to: directory + "/status-fail.png")

        try await offloaded { [postgres = stores.postgres.server] in try postgres.start() }
        try await waitUntil("the page shows pass again") { try await Self.state(page).overall == "pass" }
        for _ in 0..<30 { _ = try await EndToEndServers.get(stack.base + "/api/items") }
        // At least these 30: the first 20 leave the one-minute window if the steps above were slow.
        try await waitUntil("the page counts the new requests") { try await Int(Self.state(page).requests).map { $0 >= 30 } == true }
        let recovered = try await Self.state(page)
        #expect(recovered.marker == "same page", "the page was reloaded")
        // Newest first: the return to pass above the failure.
        let back = try #require(recovered.history.firstIndex(of: "gateway pass"))
        let failure = try #require(recovered.history.firstIndex(of: "gateway fail"))
        #expect(back < failure)
        #expect(recovered.history.contains("replica-1 postgres:responseTime fail"))
        #expect(!recovered.overflows)
        try await page.screenshot(to: directory + "/status-page.png")

        // A phone: nothing wider than the screen.
        try await page.setViewport(width: 390, height: 844, mobile: true)
        try await waitUntil("the page re-lays out for a phone") { try await page.evaluate("document.documentElement.clientWidth === 390") as? Bool == true }
        #expect(!(try await Self.state(page)).overflows, "the page is wider than a phone's screen")
        try await page.screenshot(to: directory + "/status-phone.png")
        print("status page screenshots: \(directory)")
    }

    @Test func aLostConnectionShowsStaleThenReconnectsWithoutReload() async throws {
        let stack = try await EndToEndServers(.shared()).startStack()
        let page = try await ChromiumPage(url: stack.base + "/status")
        try await waitUntil("the page is live") {
            let state = try await Self.state(page)
            return state.overall == "pass" && state.connection == "live" && state.stale == "false"
        }
        _ = try await page.evaluate("window.statusTestMarker = 'same page'; true")

        stack.gateway.kill()
        try await waitUntil(timeout: .seconds(15), "the page says it is stale") {
            let state = try await Self.state(page)
            return state.stale == "true" && state.connection == "stale"
        }
        let restarted = try EndToEndServers.startGateway(for: stack.replicas, port: stack.gateway.port)
        try await waitUntil(timeout: .seconds(20), "the page is live again") {
            let state = try await Self.state(page)
            return state.stale == "false" && state.connection == "live" && state.overall == "pass"
        }
        #expect(try await Self.state(page).marker == "same page", "the page was reloaded")
        #expect(try await restarted.terminate() == 0)
    }
}
