import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared
import Synchronization

/// Samples the gateway's `/health` and the affected service's `/health/ready`
/// every `interval` (two independent loops, so a frozen service does not
/// delay the gateway's sample) and turns every change into timeline events.
final class HealthSampler: Sendable {
    private struct State {
        var gateway: HealthReport?
        var serviceReady: String?
        var view: HealthView?
        var baseline: HealthView?
        var recoveredSince: ContinuousClock.Instant?
        /// Per upstream: since when it has been `pass` (absent while it is not).
        var passingSince: [String: ContinuousClock.Instant] = [:]
    }

    let client: HTTPClient
    let gatewayURL: String
    let serviceURL: String?
    let timeline: Timeline
    let interval: Duration
    private let state = Mutex(State())

    init(client: HTTPClient, gatewayURL: String, serviceURL: String?, timeline: Timeline, interval: Duration = .milliseconds(100)) {
        self.client = client
        self.gatewayURL = gatewayURL
        self.serviceURL = serviceURL
        self.timeline = timeline
        self.interval = interval
    }

    /// Samples until `stop` is set.
    func run(until stop: FirstFlag) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.loop(until: stop) {
                    let exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + "/health", timeoutMs: 1000)
                    let body = try? JSONDecoder().decode(HealthReport.self, from: exchange.body)
                    self.update { $0.gateway = body }
                }
            }
            if let serviceURL = self.serviceURL {
                group.addTask {
                    await self.loop(until: stop) {
                        let exchange = await Exchange.perform(self.client, .GET, serviceURL + "/health/ready", timeoutMs: 1000)
                        let ready = Self.describeReady(exchange)
                        self.update { $0.serviceReady = ready }
                    }
                }
            }
        }
    }

    private func loop(until stop: FirstFlag, _ sample: @Sendable () async -> Void) async {
        while !stop.isSet {
            let next = ContinuousClock.now + self.interval
            await sample()
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }

    static func describeReady(_ exchange: Exchange) -> String {
        guard let status = exchange.status else { return "no answer" }
        let body = try? JSONDecoder().decode(HealthReport.self, from: exchange.body)
        let reason = body?.output.map { " (\($0))" } ?? ""
        return "\(status) \(body?.status.rawValue ?? "?")\(reason)"
    }

    /// The current view becomes the state recovery is compared with.
    func captureBaseline() -> HealthView? {
        self.state.withLock { state in
            state.baseline = state.view
            state.recoveredSince = state.view == nil ? nil : .now
            return state.view
        }
    }

    /// Since when everything has been back to the baseline, if it is now.
    var recoveredSince: ContinuousClock.Instant? { self.state.withLock { $0.recoveredSince } }

    /// Per upstream: since when it has been `pass`, for those that pass now.
    var passingSince: [String: ContinuousClock.Instant] { self.state.withLock { $0.passingSince } }

    var hasSampled: Bool { self.state.withLock { $0.view != nil } }

    private func update(_ change: (inout State) -> Void) {
        let now = ContinuousClock.now
        let (old, new) = self.state.withLock { state -> (HealthView?, HealthView) in
            change(&state)
            let old = state.view
            let new = HealthView(gateway: state.gateway, serviceReady: state.serviceReady)
            state.view = new
            for (id, upstream) in new.upstreams {
                if upstream.status != "pass" {
                    state.passingSince[id] = nil
                } else if state.passingSince[id] == nil {
                    state.passingSince[id] = now
                }
            }
            if let baseline = state.baseline {
                if !new.isRecovered(comparedTo: baseline) {
                    state.recoveredSince = nil
                } else if state.recoveredSince == nil {
                    state.recoveredSince = now
                }
            }
            return (old, new)
        }
        guard let old, old != new else { return }
        for (kind, text) in HealthChanges.between(old, new) {
            self.timeline.record(kind, text, at: now)
        }
    }
}
