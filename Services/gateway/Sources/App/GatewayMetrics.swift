import Metrics
import Shared

/// The gateway's own metrics (beside `http_requests_total` and
/// `http_request_duration_seconds` from ``RequestMetricsMiddleware``).
struct GatewayMetrics: Sendable {
    let telemetry: Telemetry

    /// Registers the unlabelled counters at 0, so their first increment is a
    /// visible increase to `rate()` and `increase()` (a series that appears
    /// at 1 counts as no increase).
    init(telemetry: Telemetry) {
        self.telemetry = telemetry
        _ = Counter(label: "gateway_retries_total", factory: telemetry.factory)
        _ = Counter(label: "gateway_retry_budget_exhausted_total", factory: telemetry.factory)
        _ = Counter(label: "gateway_load_shed_total", factory: telemetry.factory)
    }

    /// A request shed at the door (`MAX_IN_FLIGHT_REQUESTS`).
    func loadShed() {
        Counter(label: "gateway_load_shed_total", factory: self.telemetry.factory).increment()
    }

    /// `gateway_upstream_attempts_total{endpoint,outcome}`; outcome is a status code or a failure kind.
    func attempt(_ endpoint: String, outcome: String) {
        self.attemptCounter(endpoint, outcome: outcome).increment()
    }

    /// The handle behind ``attempt(_:outcome:)``, for callers that keep it.
    func attemptCounter(_ endpoint: String, outcome: String) -> Counter {
        Counter(label: "gateway_upstream_attempts_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)], factory: self.telemetry.factory)
    }

    /// `gateway_breaker_probes_total{endpoint,outcome}`: the gateway's own
    /// half-open probes (not client attempts, so not in the attempts counter).
    func breakerProbe(_ endpoint: String, outcome: String) {
        Counter(label: "gateway_breaker_probes_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)], factory: self.telemetry.factory).increment()
    }

    func retry() {
        Counter(label: "gateway_retries_total", factory: self.telemetry.factory).increment()
    }

    func retryBudgetExhausted() {
        Counter(label: "gateway_retry_budget_exhausted_total", factory: self.telemetry.factory).increment()
    }

    func ejection(_ endpoint: String) {
        Counter(label: "gateway_ejections_total", dimensions: [("endpoint", endpoint)], factory: self.telemetry.factory).increment()
    }

    /// `gateway_breaker_state{endpoint}`: 0 closed, 1 half-open, 2 open.
    func breaker(_ endpoint: String, state: CircuitBreaker.State) {
        let value: Double =
            switch state {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
        Gauge(label: "gateway_breaker_state", dimensions: [("endpoint", endpoint)], factory: self.telemetry.factory).record(value)
    }

    /// `gateway_endpoint_healthy{endpoint}`: 1 or 0.
    func endpointHealth(_ endpoint: String, healthy: Bool) {
        Gauge(label: "gateway_endpoint_healthy", dimensions: [("endpoint", endpoint)], factory: self.telemetry.factory).record(healthy ? 1 : 0)
    }
}
