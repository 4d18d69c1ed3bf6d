import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// data-api's fault injection (`PUT /admin/chaos`) on its replicas. The
/// admin token is read from a file and sent only in the `Authorization`
/// header: never in an argument, a log line or an error.
struct ChaosClient: Sendable {
    let client: HTTPClient
    let replicaURLs: [String]
    let tokenFile: String

    /// Sets `json` (e.g. `{"errorRate":0,"latencyMs":1000}`) on every
    /// replica: each is tried, and the first refusal is thrown after all
    /// (a replica that is restarting must not leave the others as they were).
    func setAll(_ json: String) async throws {
        let token = try self.token()
        var refused: [String] = []
        for url in self.replicaURLs {
            let exchange = await Exchange.perform(
                self.client, .PUT, url + "/admin/chaos", json: json, headers: [("Authorization", "Bearer " + token)], timeoutMs: 2000
            )
            if exchange.status.map({ (200..<300).contains($0) }) != true {
                refused.append("PUT \(url)/admin/chaos answered \(exchange.status.map(String.init) ?? exchange.error ?? "nothing")")
            }
        }
        if !refused.isEmpty { throw DemoFailure(description: refused.joined(separator: "; ")) }
    }

    /// No fault at all.
    static let off = #"{"errorRate":0,"latencyMs":0}"#

    /// Chaos off on every replica, whatever answers (the clean-up).
    func offAll() async {
        try? await self.setAll(Self.off)
    }

    private func token() throws -> String {
        guard let data = FileManager.default.contents(atPath: self.tokenFile) else {
            throw DemoFailure(description: "no admin token in \(self.tokenFile) (--admin-token-file): the chaos needs data-api started with ADMIN_TOKEN_FILE")
        }
        return String(String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).first ?? "")
    }
}
