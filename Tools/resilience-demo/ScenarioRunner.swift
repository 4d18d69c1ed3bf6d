import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs one scenario: settle, baseline under load, inject, remove, watch the
/// recovery, stop the load, check every acknowledged write, judge. With
/// `--report`, it also records the gateway's status events for the report.
struct ScenarioRunner: Sendable {
    let options: DemoOptions
    let client: HTTPClient

    func run(_ scenario: Scenario) async throws -> IncidentReport.Scenario {
        let settings = self.options.settings
        print("\n== \(scenario.name) (\(self.options.target)): \(scenario.summary)")
        try await StackReadiness(client: self.client, gatewayURL: self.options.gatewayURL).waitUntilSettled()
        let readiness = StackReadiness(client: self.client, gatewayURL: self.options.gatewayURL)
        var seeds = try await readiness.seedItems(count: 10, label: scenario.name)
        let poisonID = scenario.poisonsOneItem ? seeds.popLast() : nil
        // The herd's hot items: their own, cached once before Redis loses them.
        let hotIDs = scenario.coldCacheHerd ? try await readiness.seedItems(count: Herd.itemCount, label: scenario.name + "-hot") : []
        for id in hotIDs { _ = await Exchange.perform(self.client, .GET, "\(self.options.gatewayURL)/api/items/\(id)", timeoutMs: 2000) }

        let timeline = Timeline()
        // The overload's slowed PostgreSQL, and the rate the stack sustains on it.
        let overload =
            scenario.overload
            ? try await Overload.prepare(
                gatewayURL: self.options.gatewayURL, proxy: self.faultProxy(for: scenario.name), settings: settings,
                clientTimeoutMs: settings.requestDeadlineMs + 5000, timeline: timeline
            ) : nil
        let retriesBefore = await GatewayCounters.retries(self.client, gatewayURL: self.options.gatewayURL)
        let poolsBefore = await ReplicaCounters.read(self.client, replicaURLs: self.options.replicaURLs)
        let recorder = LoadRecorder()
        let stop = FirstFlag()
        let sampler = HealthSampler(client: self.client, gatewayURL: self.options.gatewayURL, serviceURL: self.options.serviceURL, timeline: timeline)
        let load = LoadGenerator(
            client: self.client, gatewayURL: self.options.gatewayURL, rate: self.options.rate, maxInFlight: 64,
            clientTimeoutMs: settings.requestDeadlineMs + 5000, seedIDs: seeds, poisonID: poisonID, label: scenario.name, recorder: recorder,
            timeline: timeline
        )
        let statusRecorder = self.options.reportPath == nil ? nil : StatusRecorder(client: self.client, gatewayURL: self.options.gatewayURL, timeline: timeline)
        async let sampling: Void = sampler.run(until: stop)
        async let loading: Void = load.run(until: stop)
        async let recording: Void = { if let statusRecorder { await statusRecorder.run(until: stop) } }()

        var removedAt: Int?
        var herd: Herd.Result?
        var attemptsBefore: Int?
        var attemptsAfter: Int?
        var phaseError: (any Error)?
        var processesBefore: StackProcesses?
        var processesAfter: StackProcesses?
        let injectedAt: Int
        let injectionStartedAt: Int
        do {
            try await Task.sleep(for: .seconds(self.options.baselineSeconds))
            let baseline = sampler.captureBaseline()
            timeline.record(.note, "baseline: gateway \(baseline?.gateway ?? "no answer")\(baseline?.serviceReady.map { ", affected replica ready \($0)" } ?? "")")
            // Stamped once the hook returns, i.e. once the fault is in place
            // (the hook itself takes a few hundred ms to start).
            processesBefore = try? await StackProcesses(listing: self.options.hook.run("processes", ""))
            injectionStartedAt = timeline.record(.note, "injecting the fault")
            try await self.inject(scenario, poisonPath: poisonID.map { "/api/items/\($0)" })
            injectedAt = timeline.record(.faultInjected, "FAULT INJECTED: \(scenario.summary)")
            if let overload {
                attemptsBefore = await GatewayCounters.upstreamAttempts(self.client, gatewayURL: self.options.gatewayURL)
                await overload.run(recorder: recorder)
                attemptsAfter = await GatewayCounters.upstreamAttempts(self.client, gatewayURL: self.options.gatewayURL)
            }
            if scenario.coldCacheHerd {
                herd = try await self.runHerd(hotIDs, gate: load.gate, timeline: timeline)
            }
        } catch {
            _ = stop.set()
            _ = await (sampling, loading, recording)
            await overload?.finish()
            throw error
        }
        do {
            switch scenario.removal {
            case .afterHold(let seconds):
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                try await self.remove(scenario)
                removedAt = timeline.record(.faultRemoved, "FAULT REMOVED")
            case .selfHealing:
                let how = try await self.options.hook.run("remove", scenario.name)
                removedAt = timeline.record(.faultRemoved, "FAULT REMOVED: \(how.isEmpty ? "the process was restarted" : how)")
            }
            try await self.watchRecovery(
                sampler, injectedAt: injectedAt, removedAt: removedAt ?? timeline.offset(), budgetMs: scenario.recoveryBudgetMs, timeline: timeline
            )
            processesAfter = try? await StackProcesses(listing: self.options.hook.run("processes", ""))
            if overload != nil, let removedAt {
                // The steady load alone, long enough to judge its return to the baseline.
                let until = removedAt + Overload.settleMs + 3000
                if timeline.offset() < until { try await Task.sleep(for: .milliseconds(until - timeline.offset())) }
            }
        } catch {
            phaseError = error
        }
        _ = stop.set()
        _ = await (sampling, loading, recording)
        await overload?.finish()
        if let phaseError { throw phaseError }

        var result = self.summarize(
            scenario, timeline: timeline, recorder: recorder, injection: (injectionStartedAt, injectedAt), removedAt: removedAt, sampler: sampler
        )
        result.herd = herd
        result.restartedProcesses = processesBefore.flatMap { before in processesAfter.map { before.restarted(by: $0) } }
        if let overload, let removedAt {
            result.overload = Overload.result(
                recorder.samples, sustainableRate: overload.sustainableRate, injection: (injectionStartedAt, injectedAt), removedAt: removedAt,
                attempts: attemptsBefore.flatMap { before in attemptsAfter.map { $0 - before } }
            )
        }
        result.writesLost = try? await self.lostWrites(recorder.acknowledgedWrites)
        // A counter that went down was reset: the gateway restarted (gateway-crash), and the count is unknown.
        if let before = retriesBefore, let after = await GatewayCounters.retries(self.client, gatewayURL: self.options.gatewayURL), after >= before {
            result.gatewayRetries = after - before
        }
        if !self.options.replicaURLs.isEmpty, let before = poolsBefore,
            let pools = await ReplicaCounters.read(self.client, replicaURLs: self.options.replicaURLs)?.since(before)
        {
            result.poolCallsOverBound = pools.callsOverBound
            result.postgresPoolMeanWaitMs = pools.postgresMeanWaitMs
        }
        result.failures = Expectations.failures(result, scenario: scenario)
        result.passed = result.failures.isEmpty
        return IncidentReport.Scenario(
            result: result, status: statusRecorder?.all ?? [], load: IncidentReport.slices(recorder.samples, durationMs: result.durationMs)
        )
    }

    /// Puts the scenario's fault in place: the hook's process or container
    /// verbs, the fault proxy's network fault, data-api's chaos.
    private func inject(_ scenario: Scenario, poisonPath: String?) async throws {
        if scenario.hookActs {
            try await self.options.hook.run("inject", scenario.name)
        }
        if let network = scenario.network {
            try await self.faultProxy(for: scenario.name).inject(network)
        }
        if let chaos = scenario.chaos {
            try await self.chaosClient(for: scenario.name, chaos).setAll(chaos.settings(poisonPath: poisonPath))
        }
    }

    /// Takes a held fault away (``Scenario/Removal/afterHold(seconds:)``).
    private func remove(_ scenario: Scenario) async throws {
        if scenario.hookActs {
            try await self.options.hook.run("remove", scenario.name)
        }
        if let network = scenario.network {
            try await self.faultProxy(for: scenario.name).lift(route: network.route)
        }
        if let chaos = scenario.chaos {
            try await self.chaosClient(for: scenario.name, chaos).setAll(ChaosClient.off)
        }
    }

    /// Keeps the load on until everything has looked like the baseline for a
    /// second (or the recovery budget plus a margin has passed).
    private func watchRecovery(_ sampler: HealthSampler, injectedAt: Int, removedAt: Int, budgetMs: Int, timeline: Timeline) async throws {
        let limit = ContinuousClock.now + .milliseconds(budgetMs + 2000)
        while ContinuousClock.now < limit {
            // Already back at the removal counts from the removal.
            if let since = sampler.recoveredSince, timeline.offset() - max(timeline.offset(since), removedAt) >= 1000 {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if let since = sampler.recoveredSince {
            if timeline.offset(since) >= removedAt {
                timeline.record(.note, "back to the baseline (health, breakers, ejections)", at: since)
            } else if timeline.first([.healthDegraded, .breakerOpened, .endpointEjected], fromMs: injectedAt) != nil {
                timeline.record(.note, "already back to the baseline before the fault's removal")
            } else {
                timeline.record(.note, "health, breakers and ejections never left the baseline")
            }
        }
        try await Task.sleep(for: .seconds(1))
    }

    private func summarize(
        _ scenario: Scenario, timeline: Timeline, recorder: LoadRecorder, injection: (startedAt: Int, inPlaceAt: Int), removedAt: Int?,
        sampler: HealthSampler
    ) -> ScenarioResult {
        let injectedAt = injection.inPlaceAt
        let samples = recorder.samples
        let requests = ScenarioResult.Requests(samples, acknowledged: recorder.acknowledgedWrites.count)
        // A change while the hook was still running counts as detected at once.
        let detection = timeline.first([.healthDegraded, .breakerOpened, .endpointEjected], fromMs: injection.startedAt)
        var recoverMs: Int?
        if let removedAt, let since = sampler.recoveredSince {
            recoverMs = max(0, timeline.offset(since) - removedAt)
        }
        let replicaRecovery = removedAt.map { removedAt in
            sampler.passingSince.reduce(into: [String: Int]()) { $0[HealthView.label($1.key)] = max(0, timeline.offset($1.value) - removedAt) }
        }
        // Reads before the fault, and reads from its detection (or, with
        // nothing to notice it, its injection) to its removal.
        let reads = samples.filter { !$0.isWrite }
        let readsBefore = reads.filter { $0.atMs < injection.startedAt }
        let from = scenario.detection == .notExpected ? injectedAt : detection?.atMs
        let readsDuring = from.map { from in reads.filter { $0.atMs >= from && $0.atMs < removedAt ?? .max } } ?? []
        return ScenarioResult(
            scenario: scenario.name, description: scenario.summary, target: self.options.target, settings: self.options.settings,
            recoveryBudgetMs: scenario.recoveryBudgetMs,
            durationMs: timeline.offset(), requests: requests, latency: .init(samples), faultInjectedAtMs: injectedAt, faultRemovedAtMs: removedAt,
            timeToDetectMs: detection.map { max(0, $0.atMs - injectedAt) }, detectedBy: detection?.text,
            detectionBudgetMs: self.options.settings.detectionBudgetMs(scenario.detection), timeToRecoverMs: recoverMs,
            replicaRecoveryMs: replicaRecovery,
            clientErrorRatePercent: percent(requests.failed, of: requests.total),
            readErrorRatePercent: percent(requests.readErrors, of: requests.reads),
            readP99BaselineMs: scenario.network == nil || readsBefore.isEmpty ? nil : ScenarioResult.Latency(readsBefore).p99Ms,
            readP99DuringFaultMs: scenario.network == nil || readsDuring.isEmpty ? nil : ScenarioResult.Latency(readsDuring).p99Ms,
            writesLost: nil, gatewayRetries: nil, timeline: timeline.all
        )
    }

    /// The cold-cache herd: once every replica's cache works again (empty),
    /// the steady load paused and PostgreSQL slowed, many concurrent reads
    /// of the hot items; then all as it was.
    private func runHerd(_ itemIDs: [Int], gate: LoadGate, timeline: Timeline) async throws -> Herd.Result {
        let replicas = self.options.replicaURLs
        guard !replicas.isEmpty else { throw DemoFailure(description: "cold-cache counts data-api's queries: --replica-urls") }
        guard await Herd.waitForCache(self.client, replicaURLs: replicas, within: .seconds(10)) else {
            throw DemoFailure(description: "the replicas' Redis check did not pass within 10 s of Redis's restart")
        }
        timeline.record(.note, "every replica's Redis check passes: the cache works, and is empty")
        let proxy = try self.faultProxy(for: "cold-cache")
        guard await gate.close(drainingWithin: .seconds(10)) else { throw DemoFailure(description: "the steady load did not drain within 10 s") }
        defer { gate.open() }
        try await proxy.inject(NetworkFault(route: "postgres", kind: .latency, latencyMs: Herd.postgresLatencyMs))
        let herd = Herd(client: self.client, gatewayURL: self.options.gatewayURL, replicaURLs: replicas, itemIDs: itemIDs, timeoutMs: 10_000)
        let result = await herd.run()
        try await proxy.lift(route: "postgres")
        let cache = result.byCache.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        timeline.record(
            .note,
            "herd: \(result.requests) reads of \(result.items) items in \(result.durationMs) ms cost \(result.queries.map(String.init) ?? "?") PostgreSQL queries (\(result.replicas) replicas); X-Cache: \(cache)"
        )
        return result
    }

    /// data-api's chaos on the replicas `chaos` names: every one, or the affected one.
    private func chaosClient(for scenario: String, _ chaos: ChaosFault) throws -> ChaosClient {
        let replicas = chaos.everyReplica ? self.options.replicaURLs : self.options.serviceURL.map { [$0] } ?? []
        guard let tokenFile = self.options.adminTokenFile, !replicas.isEmpty else {
            throw DemoFailure(
                description: "\(scenario) sets data-api's chaos: --admin-token-file and --replica-urls (compose: DEMO_DATA_API_URLS and DEMO_ADMIN_TOKEN_FILE)"
            )
        }
        return ChaosClient(client: self.client, replicaURLs: replicas, tokenFile: tokenFile)
    }

    /// The fault proxy's client, for a scenario that needs it.
    private func faultProxy(for scenario: String) throws -> FaultProxyClient {
        guard let url = self.options.faultProxyURL else {
            throw DemoFailure(description: "\(scenario) needs the fault proxy in front of data-api's stores: --fault-proxy-url (see scripts/demo --help)")
        }
        return FaultProxyClient(client: self.client, url: url)
    }

    /// Acknowledged writes missing from PostgreSQL (the hook counts the ids it finds).
    private func lostWrites(_ ids: [Int]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("resilience-demo-writes-\(UUID().uuidString).txt")
        try (ids.map(String.init).joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await self.options.hook.run("verify-writes", file.path)
        guard let found = Int(output.split(separator: "\n").last ?? "") else {
            throw DemoFailure(description: "verify-writes printed no count")
        }
        return Set(ids).count - found
    }
}
