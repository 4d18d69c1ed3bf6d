import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Counters read from the gateway's `/metrics` (Prometheus text), to show
/// what the gateway did that clients did not see: its retries.
enum GatewayCounters {
    /// The sum of every `gateway_retries_total` series, or `nil` when unreadable.
    static func retries(_ client: HTTPClient, gatewayURL: String) async -> Int? {
        let exchange = await Exchange.perform(client, .GET, gatewayURL + "/metrics", timeoutMs: 2000)
        guard exchange.status == 200 else { return nil }
        return Int(self.sum("gateway_retries_total", in: String(decoding: exchange.body, as: UTF8.self)))
    }

    /// The sum of every `gateway_upstream_attempts_total` series (tries sent
    /// upstream, retries included), or `nil` when unreadable.
    static func upstreamAttempts(_ client: HTTPClient, gatewayURL: String) async -> Int? {
        let exchange = await Exchange.perform(client, .GET, gatewayURL + "/metrics", timeoutMs: 2000)
        guard exchange.status == 200 else { return nil }
        return Int(self.sum("gateway_upstream_attempts_total", in: String(decoding: exchange.body, as: UTF8.self)))
    }

    /// The sum of every series of `metric` whose labels contain `labels`
    /// (e.g. `pool="postgres"`), in Prometheus text.
    static func sum(_ metric: String, labels: String = "", in exposition: String) -> Double {
        exposition.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(metric + " ") || line.hasPrefix(metric + "{"), labels.isEmpty || line.contains(labels),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return total }
            return total + value
        }
    }
}
