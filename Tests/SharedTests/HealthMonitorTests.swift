import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import Synchronization
import Testing

/// A check whose outcomes a test scripts, counting its runs. It stands in for
/// a dependency only in these unit tests of the engine itself.
final class ScriptedCheck: HealthCheck {
    let descriptor: CheckDescriptor
    private let state = Mutex<(failing: Bool, hang: Bool, runs: Int)>((false, false, 0))

    init(_ component: String, _ criticality: Criticality) {
        self.descriptor = CheckDescriptor(component: component, measurement: "responseTime", componentType: "datastore", criticality: criticality)
    }

    var runs: Int { self.state.withLock { $0.runs } }
    func setFailing(_ failing: Bool) { self.state.withLock { $0.failing = failing } }
    func setHanging(_ hang: Bool) { self.state.withLock { $0.hang = hang } }

    func run() async throws -> HealthObservation {
        let (failing, hang) = self.state.withLock { state in
            state.runs += 1
            return (state.failing, state.hang)
        }
        if hang { try await Task.sleep(for: .seconds(3600)) }
        if failing { throw ScriptedFailure() }
        return HealthObservation(observedValue: 1, observedUnit: "ms")
    }
}

struct ScriptedFailure: Error, SafeErrorDescription {
    var safeDescription: String { "connection refused" }
}

@Suite struct HealthMonitorTests {
    func monitor(_ checks: [any HealthCheck], failureThreshold: Int = 2, successThreshold: Int = 1, timeout: Duration = .seconds(1)) -> HealthMonitor {
        HealthMonitor(
            serviceId: "test",
            checks: checks,
            configuration: .init(interval: .milliseconds(20), timeout: timeout, failureThreshold: failureThreshold, successThreshold: successThreshold),
            telemetry: Telemetry(),
            logger: Logger(label: "test")
        )
    }

    @Test func reportsFailBeforeTheFirstRun() {
        let monitor = self.monitor([ScriptedCheck("postgres", .critical)])
        #expect(monitor.snapshot.status == .fail)
        #expect(monitor.snapshot.report.checks?["postgres:responseTime"]?.first?.output == "not checked yet")
    }

    @Test func criticalFailureFailsAfterThresholdAndRecovers() async {
        let postgres = ScriptedCheck("postgres", .critical)
        let monitor = self.monitor([postgres], failureThreshold: 2)
        let transitions = Mutex<[HealthTransition]>([])
        monitor.onTransition { transition in transitions.withLock { $0.append(transition) } }
        await monitor.runAllOnce()
        #expect(monitor.snapshot.status == .pass)
        postgres.setFailing(true)
        await monitor.runAllOnce()
        #expect(monitor.snapshot.status == .pass, "one failure is below the threshold")
        await monitor.runAllOnce()
        #expect(monitor.snapshot.status == .fail)
        #expect(!monitor.snapshot.criticalChecksPass)
        #expect(monitor.snapshot.report.checks?["postgres:responseTime"]?.first?.output == "connection refused")
        postgres.setFailing(false)
        await monitor.runAllOnce()
        #expect(monitor.snapshot.status == .pass)
        #expect(transitions.withLock { $0.map(\.to) } == [.pass, .fail, .pass])
    }

    @Test func nonCriticalFailureOnlyWarns() async {
        let postgres = ScriptedCheck("postgres", .critical)
        let redis = ScriptedCheck("redis", .nonCritical)
        let monitor = self.monitor([postgres, redis], failureThreshold: 1)
        redis.setFailing(true)
        await monitor.runAllOnce()
        #expect(monitor.snapshot.status == .warn)
        #expect(monitor.snapshot.criticalChecksPass)
        #expect(monitor.snapshot.report.checks?["redis:responseTime"]?.first?.status == .fail)
        #expect(monitor.snapshot.report.checks?["redis:responseTime"]?.first?.critical == false)
        #expect(monitor.status(of: redis) == .fail)
        #expect(monitor.status(of: postgres) == .pass)
        #expect(monitor.status(of: ScriptedCheck("disk", .nonCritical)) == nil, "not one of its checks")
    }

    @Test func aHangingCheckTimesOutWithoutBlockingTheOthers() async {
        let postgres = ScriptedCheck("postgres", .critical)
        let redis = ScriptedCheck("redis", .nonCritical)
        redis.setHanging(true)
        let monitor = self.monitor([postgres, redis], failureThreshold: 1, timeout: .milliseconds(50))
        await monitor.runAllOnce()
        #expect(monitor.snapshot.report.checks?["redis:responseTime"]?.first?.output == "timeout")
        #expect(monitor.snapshot.report.checks?["postgres:responseTime"]?.first?.status == .pass)
    }

    @Test func probesReadTheLastResultAndNeverRunChecks() async throws {
        let postgres = ScriptedCheck("postgres", .critical)
        let monitor = self.monitor([postgres])
        await monitor.runAllOnce()
        let lifecycle = LifecycleState(.running)
        let router = Router()
        // The monitor runs once, so its heartbeat only ages: no liveness
        // deadline, or 900 probes on a loaded machine (over 10 s) read "wedged".
        HealthEndpoints(monitor: monitor, lifecycle: lifecycle, telemetry: Telemetry(), wedgedAfter: .seconds(3600)).register(on: router)
        let app = Application(router: router)
        try await app.test(.router) { client in
            for path in ["/health/ready", "/health", "/health/live"] {
                for _ in 0..<300 {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
            }
        }
        #expect(postgres.runs == 1, "900 probes, no check run")
    }

    @Test func readinessFollowsLifecycleAndCriticalChecks() async throws {
        let postgres = ScriptedCheck("postgres", .critical)
        let monitor = self.monitor([postgres], failureThreshold: 1)
        await monitor.runAllOnce()
        let lifecycle = LifecycleState()
        let router = Router()
        HealthEndpoints(monitor: monitor, lifecycle: lifecycle, telemetry: Telemetry()).register(on: router)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/health/startup", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("starting"))
            }
            lifecycle.markStarted()
            try await client.execute(uri: "/health/startup", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/health+json")
            }
            postgres.setFailing(true)
            await monitor.runAllOnce()
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let report = try JSONDecoder().decode(HealthReport.self, from: Data(buffer: response.body))
                #expect(report.status == .fail)
            }
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok, "a failing dependency never fails liveness") }
            postgres.setFailing(false)
            await monitor.runAllOnce()
            lifecycle.markDraining()
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("draining"))
            }
        }
    }

    @Test func metricsCountTransitions() async throws {
        let postgres = ScriptedCheck("postgres", .critical)
        let telemetry = Telemetry()
        let monitor = HealthMonitor(
            serviceId: "t", checks: [postgres], configuration: .init(interval: .milliseconds(20), failureThreshold: 1), telemetry: telemetry, logger: Logger(label: "t")
        )
        await monitor.runAllOnce()
        postgres.setFailing(true)
        await monitor.runAllOnce()
        let text = String(decoding: telemetry.exposition(), as: UTF8.self)
        #expect(text.contains(#"health_check_transitions_total{check="postgres:responseTime",to="fail"} 1"#))
        #expect(text.contains(#"health_check_status{check="postgres:responseTime",critical="true"} 2"#))
        #expect(text.contains("health_status 2"))
    }

    /// A check that fails from its first run makes no transition (it starts
    /// `fail`), yet alert rules need its series: the status gauges are
    /// written after every run.
    @Test func statusGaugesExistFromTheFirstRun() async throws {
        let postgres = ScriptedCheck("postgres", .critical)
        let redis = ScriptedCheck("redis", .nonCritical)
        postgres.setFailing(true)
        let telemetry = Telemetry()
        let monitor = HealthMonitor(
            serviceId: "t", checks: [postgres, redis], configuration: .init(interval: .milliseconds(20), failureThreshold: 2), telemetry: telemetry,
            logger: Logger(label: "t")
        )
        await monitor.runAllOnce()
        let text = String(decoding: telemetry.exposition(), as: UTF8.self)
        #expect(!text.contains("health_check_transitions_total{check=\"postgres:responseTime\""))
        #expect(text.contains(#"health_check_status{check="postgres:responseTime",critical="true"} 2"#))
        #expect(text.contains(#"health_check_status{check="redis:responseTime",critical="false"} 0"#))
    }

    /// `health_ready` in `/metrics` is readiness at the scrape: 0 while
    /// starting, 1 once running, 0 again while draining.
    @Test func metricsExportReadinessAtEachScrape() async throws {
        let monitor = self.monitor([ScriptedCheck("postgres", .critical)])
        await monitor.runAllOnce()
        let lifecycle = LifecycleState()
        let router = Router()
        HealthEndpoints(monitor: monitor, lifecycle: lifecycle, telemetry: Telemetry()).register(on: router)
        let steps: [(change: @Sendable () -> Void, line: String)] = [
            ({}, "health_ready 0.0"), ({ lifecycle.markStarted() }, "health_ready 1.0"), ({ lifecycle.markDraining() }, "health_ready 0.0"),
        ]
        try await Application(router: router).test(.router) { client in
            for step in steps {
                step.change()
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(String(buffer: response.body).split(separator: "\n").contains { $0 == step.line })
                }
            }
        }
    }

    @Test func runsInTheBackgroundUntilCancelled() async throws {
        let postgres = ScriptedCheck("postgres", .critical)
        let monitor = self.monitor([postgres])
        let task = Task { try await monitor.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while postgres.runs < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        _ = try? await task.value
        #expect(postgres.runs >= 3, "the monitor repeats its checks by itself")
        #expect(monitor.heartbeatAge < .seconds(10))
    }
}
