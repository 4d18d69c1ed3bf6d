import AsyncHTTPClient

/// Counters read from the gateway's `/metrics`, to show what the gateway did
/// that clients did not see: its retries, and its tries upstream.
enum GatewayCounters {
    /// The sum of every `gateway_retries_total` series, or `nil` when unreadable.
    static func retries(_ client: HTTPClient, gatewayURL: String) async -> Int? {
        await PrometheusText.fetch(client, url: gatewayURL).map { Int(PrometheusText.sum("gateway_retries_total", in: $0)) }
    }

    /// The sum of every `gateway_upstream_attempts_total` series (tries sent
    /// upstream, retries included), or `nil` when unreadable.
    static func upstreamAttempts(_ client: HTTPClient, gatewayURL: String) async -> Int? {
        await PrometheusText.fetch(client, url: gatewayURL).map { Int(PrometheusText.sum("gateway_upstream_attempts_total", in: $0)) }
    }
}
