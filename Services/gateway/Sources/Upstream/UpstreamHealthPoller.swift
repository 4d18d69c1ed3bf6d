#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import ServiceLifecycle
import Shared

/// Active health checking: every `interval` (with ±10 % jitter) it fetches
/// each endpoint's health path (`/health` by default: readiness by its status
/// code, and the checks in its body), in parallel, each with a timeout, and
/// records the result in the endpoint. Requests to the gateway's `/health`
/// only read these results.
///
/// It also closes breakers that no client traffic would: when an endpoint
/// passes its check but its breaker is waiting for a half-open probe, the
/// poller sends the probes itself, `GET BREAKER_PROBE_PATH` with the per-try
/// timeout. That path is an API path, so a replica whose health endpoint is
/// fast but whose API is slow or failing (slow-upstream) fails the probe and
/// its breaker opens again; only an API that answers in time closes it.
///
/// The gateway is started (``LifecycleState``) once the first round is over:
/// from then on it knows its upstreams' state.
struct UpstreamHealthPoller: Service {
    let endpoints: EndpointSet
    let client: OutboundClient
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    let logger: Logger
    /// Marked started after the first round.
    let lifecycle: LifecycleState
    /// Called after every round, e.g. to notice overall transitions.
    let afterRound: @Sendable () -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await runPeriodically(every: self.configuration.upstreamHealth.interval, from: .endOfRun, jitter: 0.1) {
                await self.pollAll()
                self.lifecycle.markStarted()
            }
        }
    }

    func pollAll() async {
        await withTaskGroup(of: Void.self) { group in
            for endpoint in self.endpoints.all {
                group.addTask { await self.poll(endpoint) }
            }
        }
        self.afterRound()
    }

    private func poll(_ endpoint: Endpoint) async {
        let started = ContinuousClock.now
        var success = false
        var report: HealthReport?
        var output: String?
        do {
            let response = try await self.client.execute(
                .GET, self.configuration.upstreamHealthPath, to: OutboundClient.Destination(endpoint),
                timeout: self.configuration.upstreamHealth.timeout.timeAmount, maxBodyBytes: 256 * 1024
            )
            report = try? JSONDecoder().decode(HealthReport.self, from: Data(response.body.readableBytesView))
            success = (200..<300).contains(response.status)
            output = success ? nil : (report?.output ?? "HTTP \(response.status)")
        } catch {
            output = ProxyError.describe(error)
        }
        let latency = (ContinuousClock.now - started).milliseconds
        let (changed, returned) = endpoint.recordCheck(
            success: success, report: report, latencyMilliseconds: success ? (latency * 1000).rounded() / 1000 : nil, output: output,
            now: .now, ejectionDuration: self.configuration.ejectionDuration
        )
        self.metrics.endpointHealth(endpoint.url, healthy: endpoint.snapshot.healthy)
        if changed {
            var metadata: Logger.Metadata = ["endpoint": "\(endpoint.url)", "healthy": "\(endpoint.snapshot.healthy)"]
            if let output { metadata["cause"] = "\(output)" }
            self.logger.warning("upstream endpoint changed health", metadata: metadata)
        }
        if returned { self.logger.notice("ejected endpoint returned", metadata: ["endpoint": "\(endpoint.url)"]) }
        await self.probeBreaker(endpoint)
    }

    /// Sends half-open probes, one after the other, while the endpoint wants
    /// them (at most `halfOpenProbes`, the number that closes the breaker).
    private func probeBreaker(_ endpoint: Endpoint) async {
        for _ in 0..<self.configuration.breaker.halfOpenProbes {
            guard endpoint.wantsBreakerProbe(now: .now), endpoint.tryAcquire(now: .now) else { return }
            var outcome: String
            do {
                let response = try await self.client.execute(
                    .GET, self.configuration.breakerProbePath, to: OutboundClient.Destination(endpoint),
                    timeout: self.configuration.perTryTimeout.timeAmount, maxBodyBytes: 256 * 1024
                )
                outcome = String(response.status)
            } catch {
                outcome = ProxyError.classify(error).rawValue
            }
            let success = Int(outcome).map { $0 < 500 } ?? false
            let effect = endpoint.recordCall(success: success, now: .now, ejectAfter: self.configuration.ejectAfterFailures)
            self.metrics.breakerProbe(endpoint.url, outcome: outcome)
            if effect.ejected { self.metrics.ejection(endpoint.url) }
            if let state = effect.breakerChanged {
                self.metrics.breaker(endpoint.url, state: state)
                self.logger.notice("breaker changed after the gateway's probe", metadata: ["endpoint": "\(endpoint.url)", "state": "\(state.rawValue)", "outcome": "\(outcome)"])
            }
            guard success else { return }
        }
    }
}
