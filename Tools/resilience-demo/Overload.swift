import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The overload scenario, on a stack with a real capacity: the fault proxy
/// slows every PostgreSQL round trip by `postgresLatencyMs`, and the
/// overload's requests are uncached list reads (`GET /api/items`, one query
/// each), so what the stack sustains is its PostgreSQL pools' connections
/// over that time (two replicas of ten: about 200 req/s), a rate this
/// driver can offer three times over on two cores. What is not served in
/// time queues in data-api's pools until their acquire timeout, unless the
/// gateway sheds it first (`MAX_IN_FLIGHT_REQUESTS`): the ablation without
/// shedding shows the difference. The sustainable rate is measured first
/// (open-loop steps until one fails or its p99 passes half the per-try
/// timeout), then offered three times over for `seconds` on top of the
/// steady load; the overload's own client has room for every request in
/// flight, so what queues or is shed is the stack's doing. ``finish()`` lifts the latency and closes that client.
struct Overload: Sendable {
    static let postgresLatencyMs = 100
    static let seconds = 10
    /// Open-loop rates tried in turn, `stepSeconds` each.
    static let ramp = [20, 30, 45, 70, 100, 150, 220, 330]
    static let stepSeconds = 3
    /// The steady load must be back to its baseline this soon after the overload's end.
    static let settleMs = 3000
    /// What the overload's requests ask for.
    static let path = "/api/items?limit=5"

    struct Result: Codable, Sendable {
        var sustainableRate: Int
        var offeredRate: Int
        /// The overload's own requests, by outcome.
        var requests: Int
        var admitted: Int
        var shed: Int
        var shedWithoutRetryAfter: Int
        var otherErrors: Int
        /// Shed answers' p99 as the clients saw them, and as the gateway
        /// spent on them (its `Server-Timing`).
        var shedP99Ms: Double
        var shedGatewayP99Ms: Double
        var admittedP99Ms: Double
        /// Upstream attempts per admitted client request (not shed) during
        /// the overload, from the gateway's `gateway_upstream_attempts_total`;
        /// `nil` when unread.
        var retryAmplification: Double?
        /// The steady load before the overload, and from `settleMs` after its end.
        var baselineP99Ms: Double
        var afterRequests: Int
        var afterErrors: Int
        var afterP99Ms: Double

        /// The bound admitted requests' p99 must stay within: the per-try
        /// timeout (an admitted request never waits as long as a try may).
        static func admittedBoundMs(_ settings: StackSettings) -> Double { Double(settings.perTryTimeoutMs) }
        /// A shed answer is fast: the gateway's own time on it under a tenth
        /// of the deadline (what clients see adds their connection's setup
        /// and their own scheduling, see docs/resilience.md).
        static func shedBoundMs(_ settings: StackSettings) -> Double { Double(settings.requestDeadlineMs) / 10 }
    }

    let client: HTTPClient
    let proxy: FaultProxyClient
    let gatewayURL: String
    let clientTimeoutMs: Int
    let timeline: Timeline
    /// The highest rate of ``ramp`` the slowed stack served without an error.
    private(set) var sustainableRate = 0

    /// Slows PostgreSQL and measures the rate the stack sustains on it; on
    /// an error, everything is as it was.
    static func prepare(
        gatewayURL: String, proxy: FaultProxyClient, settings: StackSettings, clientTimeoutMs: Int, timeline: Timeline
    ) async throws -> Overload {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(15))
        // Room for every request the overload keeps in flight.
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 2048)
        var overload = Overload(
            client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration), proxy: proxy, gatewayURL: gatewayURL,
            clientTimeoutMs: clientTimeoutMs, timeline: timeline
        )
        do {
            try await proxy.inject(NetworkFault(route: "postgres", kind: .latency, latencyMs: Self.postgresLatencyMs))
            timeline.record(.note, "every PostgreSQL round trip +\(Self.postgresLatencyMs) ms (fault proxy); measuring the sustainable rate of \(Self.path)")
            overload.sustainableRate = try await overload.measureSustainableRate(p99BoundMs: Double(settings.perTryTimeoutMs) / 2)
            // The ramp's last step overloaded the stack: breakers may have opened.
            try await StackReadiness(client: overload.client, gatewayURL: gatewayURL).waitUntilSettled(timeout: .seconds(30))
        } catch {
            await overload.finish()
            throw error
        }
        timeline.record(.note, "sustainable: \(overload.sustainableRate) req/s; the overload offers \(3 * overload.sustainableRate) req/s")
        return overload
    }

    /// PostgreSQL as fast as before, and the overload's client closed.
    func finish() async {
        try? await self.proxy.lift(route: "postgres")
        try? await self.client.shutdown()
    }

    /// Three times the sustainable rate for ``seconds``.
    func run(recorder: LoadRecorder) async {
        await self.load(rate: 3 * self.sustainableRate, seconds: Self.seconds, label: "overload", recorder: recorder)
    }

    /// The highest rate of `ramp` whose every request succeeded with a p99
    /// within `p99BoundMs` (past its capacity, a stack that sheds nothing
    /// answers ever later, not with errors). Fails when even the first step
    /// failed, or when none did (the stack's limit is past what this driver
    /// offers: the overload would measure the driver, not the stack).
    private func measureSustainableRate(p99BoundMs: Double) async throws -> Int {
        var sustained = 0
        var anyFailed = false
        for rate in Self.ramp {
            let recorder = LoadRecorder()
            await self.load(rate: rate, seconds: Self.stepSeconds, label: "overload-ramp", recorder: recorder)
            let samples = recorder.samples
            let failed = samples.filter { !$0.ok }.count
            let p99 = ScenarioResult.Latency(samples).p99Ms
            self.timeline.record(.note, "measuring: \(rate) req/s for \(Self.stepSeconds) s: \(failed) of \(samples.count) failed, p99 \(p99) ms")
            guard failed == 0, p99 <= p99BoundMs else {
                anyFailed = true
                break
            }
            sustained = rate
        }
        guard sustained > 0 else { throw DemoFailure(description: "the stack sustained not even \(Self.ramp[0]) req/s: nothing to overload") }
        guard anyFailed else {
            throw DemoFailure(
                description: "the stack sustained every rate up to \(Self.ramp.last ?? 0) req/s with PostgreSQL +\(Self.postgresLatencyMs) ms: its capacity (DATABASE_POOL_SIZE, replicas) or MAX_IN_FLIGHT_REQUESTS is past what this driver can overload (the demo stacks set 128)"
            )
        }
        return sustained
    }

    /// Offers `rate` for `seconds`; every request goes into `recorder`.
    private func load(rate: Int, seconds: Int, label: String, recorder: LoadRecorder) async {
        let stop = FirstFlag()
        let generator = LoadGenerator(
            client: self.client, gatewayURL: self.gatewayURL, rate: rate, maxInFlight: 4096, clientTimeoutMs: self.clientTimeoutMs,
            seedIDs: [], label: label, recorder: recorder, timeline: self.timeline, isOverload: true
        )
        async let running: Void = generator.run(until: stop)
        try? await Task.sleep(for: .seconds(seconds))
        _ = stop.set()
        await running
    }

    /// What the overload did, from every sample of the run: the overload's
    /// own (`isOverload`) and the steady load's before it and after it
    /// settled; `attempts` is the gateway's upstream attempts during it.
    static func result(
        _ samples: [LoadRecorder.Sample], sustainableRate: Int, injection: (startedAt: Int, inPlaceAt: Int), removedAt: Int, attempts: Int?
    ) -> Result {
        let overload = samples.filter(\.isOverload)
        let steady = samples.filter { !$0.isOverload }
        let shed = overload.filter { $0.cause == .loadShed }
        let admitted = overload.filter(\.ok)
        let after = steady.filter { $0.atMs >= removedAt + Self.settleMs }
        // Requests the gateway admitted during the overload: those that could try an upstream.
        let during = samples.filter { $0.atMs >= injection.inPlaceAt && $0.atMs < removedAt && $0.cause != .loadShed }.count
        return Result(
            sustainableRate: sustainableRate, offeredRate: 3 * sustainableRate, requests: overload.count, admitted: admitted.count, shed: shed.count,
            shedWithoutRetryAfter: shed.filter { !$0.hasRetryAfter }.count, otherErrors: overload.count - admitted.count - shed.count,
            shedP99Ms: ScenarioResult.Latency(shed).p99Ms, shedGatewayP99Ms: ScenarioResult.Latency(milliseconds: shed.map { $0.gatewayMs ?? $0.latencyMs }).p99Ms, admittedP99Ms: ScenarioResult.Latency(admitted).p99Ms,
            retryAmplification: attempts.map { during == 0 ? 0 : (Double($0) / Double(during) * 1000).rounded() / 1000 },
            baselineP99Ms: ScenarioResult.Latency(steady.filter { $0.atMs < injection.startedAt }).p99Ms,
            afterRequests: after.count, afterErrors: after.filter { !$0.ok }.count, afterP99Ms: ScenarioResult.Latency(after).p99Ms
        )
    }

    /// The overload's expectations, one line per failure.
    static func failures(_ result: Result, settings: StackSettings) -> [String] {
        var failures: [String] = []
        if result.shed == 0 { failures.append("the gateway shed nothing at \(result.offeredRate) req/s, 3x the sustainable rate") }
        if result.shedWithoutRetryAfter > 0 { failures.append("\(result.shedWithoutRetryAfter) shed answer(s) without Retry-After") }
        if result.shedGatewayP99Ms > Result.shedBoundMs(settings) {
            failures.append(
                "shedding was slow: the gateway's own p99 \(result.shedGatewayP99Ms) ms (clients saw \(result.shedP99Ms) ms), over \(Result.shedBoundMs(settings)) ms (a tenth of the deadline)"
            )
        }
        if result.admittedP99Ms > Result.admittedBoundMs(settings) {
            failures.append("admitted requests' p99 \(result.admittedP99Ms) ms, over \(Result.admittedBoundMs(settings)) ms (the per-try timeout)")
        }
        if let amplification = result.retryAmplification {
            if amplification > 1.2 { failures.append("retry amplification \(amplification) upstream attempts per client request, over 1.2") }
        } else {
            failures.append("the gateway's upstream attempts could not be read")
        }
        if result.afterRequests == 0 {
            failures.append("no steady request \(Self.settleMs) ms after the overload to judge its end by")
        } else if result.afterErrors > 0 || result.afterP99Ms > result.baselineP99Ms + 250 {
            failures.append(
                "not back to the baseline \(Self.settleMs) ms after the overload (metastable?): \(result.afterErrors) errors, p99 \(result.afterP99Ms) ms against \(result.baselineP99Ms) ms before"
            )
        }
        return failures
    }
}
