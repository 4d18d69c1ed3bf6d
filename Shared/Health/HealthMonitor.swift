#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Runs a service's health checks in the background and keeps their last results.
///
/// Each check runs in its own loop every `interval`, with its own `timeout`,
/// in parallel with the others. Probes read ``snapshot`` and never run a check,
/// so probe traffic never reaches a dependency. Status changes are damped by
/// ``FlapDamper``, logged once at warning level, counted in metrics, and passed
/// to ``onTransition`` observers.
public final class HealthMonitor: Service, Sendable {
    public let serviceId: String
    public let configuration: HealthMonitorConfiguration
    private let checks: [any HealthCheck]
    private let state: Mutex<State>
    private let logger: Logger
    private let metrics: HealthMetrics
    private let observers = Mutex<[@Sendable (HealthTransition) -> Void]>([])

    public init(serviceId: String, checks: [any HealthCheck], configuration: HealthMonitorConfiguration, telemetry: Telemetry, logger: Logger) {
        self.serviceId = serviceId
        self.checks = checks
        self.configuration = configuration
        self.logger = logger
        self.metrics = HealthMetrics(telemetry: telemetry)
        var results: [String: CheckState] = [:]
        for check in checks {
            results[check.descriptor.key] = CheckState(
                descriptor: check.descriptor,
                damper: FlapDamper(failureThreshold: configuration.failureThreshold, successThreshold: configuration.successThreshold)
            )
        }
        let initial = State(checks: results, heartbeat: .now)
        self.state = Mutex(initial)
        self.state.withLock { $0.snapshot = Self.render(serviceId: serviceId, checks: $0.checks) }
    }

    /// Called on every change of a check's reported status, after logging.
    public func onTransition(_ observer: @escaping @Sendable (HealthTransition) -> Void) {
        self.observers.withLock { $0.append(observer) }
    }

    /// The last results, as probes serve them.
    public var snapshot: HealthSnapshot { self.state.withLock { $0.snapshot } }

    /// The reported (damped) status of `check`, one of this monitor's checks;
    /// `nil` for a check it does not run.
    public func status(of check: some HealthCheck) -> HealthStatus? {
        self.state.withLock { $0.checks[check.descriptor.key]?.reportedStatus }
    }

    /// How long ago the monitor last completed a run of any check; a stalled
    /// monitor means the process is wedged.
    public var heartbeatAge: Duration { ContinuousClock.now - self.state.withLock { $0.heartbeat } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for check in self.checks {
                    group.addTask { await runPeriodically(every: self.configuration.interval) { await self.runOnce(check) } }
                }
            }
        }
    }

    /// Runs every check once, now, in parallel (used at start-up and by tests).
    public func runAllOnce() async {
        await withTaskGroup(of: Void.self) { group in
            for check in self.checks {
                group.addTask { await self.runOnce(check) }
            }
        }
    }

    /// Runs `check`, one of this monitor's checks, once now within the
    /// timeout and records the outcome, as its periodic loop would. Every
    /// failed run is logged at `debug` with its cause and duration; a run
    /// that the timeout abandoned is logged again when it ends, with the cause
    /// the timeout hid (e.g. `dns timeout` behind `timeout`).
    public func runOnce(_ check: any HealthCheck) async {
        let started = ContinuousClock.now
        let key = check.descriptor.key
        let abandoned = Atomic<Bool>(false)
        let logger = self.logger
        let outcome: Result<HealthObservation, any Error>
        do {
            outcome = .success(
                try await withTimeout(self.configuration.timeout, error: HealthCheckError.timeout) {
                    do {
                        return try await check.run()
                    } catch {
                        if abandoned.load(ordering: .acquiring) {
                            logger.debug(
                                "abandoned health check run ended",
                                metadata: ["check": "\(key)", "cause": "\(error.safeDescription)", "duration_ms": "\(Int((ContinuousClock.now - started).milliseconds))"]
                            )
                        }
                        throw error
                    }
                }
            )
        } catch {
            abandoned.store(true, ordering: .releasing)
            outcome = .failure(error)
        }
        let elapsed = ContinuousClock.now - started
        if case .failure(let error) = outcome {
            self.logger.debug(
                "health check run failed", metadata: ["check": "\(key)", "cause": "\(error.safeDescription)", "duration_ms": "\(Int(elapsed.milliseconds))"]
            )
        }
        self.metrics.recordRun(key, duration: elapsed, success: (try? outcome.get()) != nil)
        self.record(check.descriptor, outcome: outcome, elapsed: elapsed)
    }

    private func record(_ descriptor: CheckDescriptor, outcome: Result<HealthObservation, any Error>, elapsed: Duration) {
        let recorded: (status: HealthStatus, overall: HealthStatus, transition: HealthTransition?)? = self.state.withLock { state in
            guard var check = state.checks[descriptor.key] else { return nil }
            let before = check.reportedStatus
            let overallBefore = state.snapshot.status
            check.update(outcome: outcome, elapsed: elapsed, at: Date())
            state.checks[descriptor.key] = check
            state.heartbeat = .now
            state.snapshot = Self.render(serviceId: self.serviceId, checks: state.checks)
            let after = check.reportedStatus
            let transition =
                before == after
                ? nil
                : HealthTransition(
                    check: descriptor.key, from: before, to: after, output: check.output,
                    overallFrom: overallBefore, overallTo: state.snapshot.status
                )
            return (after, state.snapshot.status, transition)
        }
        guard let recorded else { return }
        self.metrics.recordStatus(descriptor, status: recorded.status, overall: recorded.overall)
        guard let transition = recorded.transition else { return }
        self.metrics.recordTransition(transition)
        var metadata: Logger.Metadata = [
            "check": "\(transition.check)", "from": "\(transition.from.rawValue)", "to": "\(transition.to.rawValue)",
            "service_status": "\(transition.overallTo.rawValue)",
        ]
        if let output = transition.output { metadata["cause"] = "\(output)" }
        self.logger.warning("health check changed status", metadata: metadata)
        for observer in self.observers.withLock({ $0 }) { observer(transition) }
    }

    private static func render(serviceId: String, checks: [String: CheckState]) -> HealthSnapshot {
        let status = HealthReport.aggregate(checks.values.map { ($0.reportedStatus, $0.descriptor.criticality) })
        let criticalOK = checks.values.allSatisfy { $0.descriptor.criticality != .critical || $0.reportedStatus != .fail }
        var entries: [String: [HealthReport.CheckEntry]] = [:]
        for (key, check) in checks { entries[key] = [check.entry] }
        let report = HealthReport(status: status, serviceId: serviceId, checks: entries)
        return HealthSnapshot(status: status, criticalChecksPass: criticalOK, report: report, encodedReport: report.encoded())
    }
}

/// The monitor's view at one moment: what probes answer from.
public struct HealthSnapshot: Sendable {
    /// Worst status with criticality applied.
    public var status: HealthStatus
    /// `false` when any critical check is `fail`.
    public var criticalChecksPass: Bool
    public var report: HealthReport
    /// `report`, pre-encoded so a probe costs no encoding.
    public var encodedReport: [UInt8]
}

/// A change of one check's reported status.
public struct HealthTransition: Sendable, Equatable {
    public var check: String
    public var from: HealthStatus
    public var to: HealthStatus
    public var output: String?
    public var overallFrom: HealthStatus
    public var overallTo: HealthStatus
}

extension HealthMonitor {
    fileprivate struct State {
        var checks: [String: CheckState]
        var heartbeat: ContinuousClock.Instant
        var snapshot = HealthSnapshot(status: .fail, criticalChecksPass: false, report: HealthReport(status: .fail), encodedReport: [])
    }

    /// One check's damped state and last run.
    fileprivate struct CheckState {
        let descriptor: CheckDescriptor
        var damper: FlapDamper
        var lastObservation: HealthObservation?
        var lastRunMilliseconds: Double?
        var output: String? = HealthCheckError.notRunYet.safeDescription
        var time: Date?

        /// `fail` while damped unhealthy; otherwise the last successful observation's status.
        var reportedStatus: HealthStatus {
            guard self.damper.isHealthy else { return .fail }
            return self.lastObservation?.status ?? .pass
        }

        mutating func update(outcome: Result<HealthObservation, any Error>, elapsed: Duration, at date: Date) {
            self.time = date
            self.lastRunMilliseconds = elapsed.milliseconds
            switch outcome {
            case .success(let observation):
                self.damper.record(success: true)
                self.lastObservation = observation
                self.output = observation.output
            case .failure(let error):
                self.damper.record(success: false)
                self.output = error.safeDescription
            }
        }

        var entry: HealthReport.CheckEntry {
            let observation = self.lastObservation
            let failedLastRun = self.damper.consecutiveFailures > 0
            return HealthReport.CheckEntry(
                componentType: self.descriptor.componentType,
                observedValue: failedLastRun ? nil : (observation?.observedValue ?? self.lastRunMilliseconds),
                observedUnit: failedLastRun ? nil : (observation?.observedValue != nil ? observation?.observedUnit : "ms"),
                status: self.reportedStatus,
                time: self.time.map(HealthTime.string),
                output: self.output,
                critical: self.descriptor.criticality == .critical
            )
        }
    }
}
