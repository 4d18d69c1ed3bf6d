#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import NIOHTTP1
import Shared
import Synchronization

/// Alerting: POSTs `{"service","from","to","time"}` as JSON to
/// `HEALTH_WEBHOOK_URL` (plain `http`) on every change of the gateway's
/// overall status, in the background, with up to 3 tries of 5 s each
/// (backoff with full jitter); never blocks a request or the poller.
final class HealthWebhook: Sendable {
    let url: URL?
    let client: OutboundClient
    let logger: Logger
    private let last = Mutex<HealthStatus?>(nil)

    init(url: URL?, client: OutboundClient, logger: Logger) {
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
        var target = url.path(percentEncoded: true)
        if target.isEmpty { target = "/" }
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        let destination = OutboundClient.Destination(url)
        let body = (try? JSONEncoder().encode(payload)).map { ByteBuffer(bytes: $0) }
        var backoff = Backoff(base: .milliseconds(200), cap: .seconds(2))
        for attempt in 1...3 {
            let response = try? await self.client.execute(
                .POST, target, to: destination, headers: ["Content-Type": "application/json"], body: body,
                timeout: .seconds(5), maxBodyBytes: 64 * 1024
            )
            if let response, (200..<300).contains(response.status) { return }
            if attempt < 3 { try? await Task.sleep(for: backoff.next()) }
        }
        self.logger.error("health webhook failed after 3 tries")
    }
}
