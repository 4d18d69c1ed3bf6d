import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import Shared
import Synchronization

/// Alerting: POSTs `{"service","from","to","time"}` as JSON to
/// `HEALTH_WEBHOOK_URL` on every change of the gateway's overall status, in
/// the background, with up to 3 tries (backoff with full jitter); never blocks
/// a request or the poller.
final class HealthWebhook: Sendable {
    let url: URL?
    let client: HTTPClient
    let logger: Logger
    private let last = Mutex<HealthStatus?>(nil)

    init(url: URL?, client: HTTPClient, logger: Logger) {
        self.url = url
        self.client = client
        self.logger = logger
    }

    /// Notes the current overall status; logs and notifies when it changed.
    func observe(_ status: HealthStatus) {
        let previous: HealthStatus?? = self.last.withLock { last in
            guard last != status else { return .none }
            defer { last = status }
            return .some(last)
        }
        guard case .some(let from) = previous else { return }
        self.logger.warning("gateway health changed", metadata: ["from": "\(from?.rawValue ?? "unknown")", "to": "\(status.rawValue)"])
        guard let url else { return }
        let payload: [String: String] = ["service": "gateway", "from": from?.rawValue ?? "unknown", "to": status.rawValue, "time": Date().formatted(.iso8601)]
        Task { await self.post(payload, to: url) }
    }

    private func post(_ payload: [String: String], to url: URL) async {
        var backoff = Backoff(base: .milliseconds(200), cap: .seconds(2))
        for attempt in 1...3 {
            do {
                var request = HTTPClientRequest(url: url.absoluteString)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(payload)))
                let response = try await self.client.execute(request, timeout: .seconds(5))
                // Read (and drop) the answer, so the connection goes back to the pool.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(Int(response.status.code)) { return }
            } catch {}
            if attempt < 3 { try? await Task.sleep(for: backoff.next()) }
        }
        self.logger.error("health webhook failed after 3 tries")
    }
}
