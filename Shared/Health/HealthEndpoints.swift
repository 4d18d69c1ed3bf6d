import HTTPTypes
import Hummingbird

/// The health endpoints every service exposes, answered from the monitor's
/// last results (no check runs on a probe). The benchmark- and ablation-only
/// ``HealthProbeMode/direct`` makes `/health/ready` and `/health` run every
/// check first, to measure the naive design against this one.
///
/// | path | 200 | 503 |
/// |---|---|---|
/// | `/health/live` | the monitor is ticking | the process is wedged (no check finished for `wedgedAfter`) |
/// | `/health/ready` | running and no critical check failing | starting, draining, or a critical check failing |
/// | `/health/startup` | start-up work done | still starting |
/// | `/health` | full report, `pass`/`warn` | full report, `fail` |
///
/// It also registers `/metrics` (``MetricsEndpoint``), with `health_ready`
/// (1 when `/health/ready` would answer 200) set at each scrape.
public struct HealthEndpoints: Sendable {
    public let monitor: HealthMonitor
    public let lifecycle: LifecycleState
    public let telemetry: Telemetry
    /// Liveness fails when the monitor has not finished a check for this long.
    public let wedgedAfter: Duration
    /// An aggregator's own full report (the gateway's), instead of the monitor's.
    public let aggregateReport: (@Sendable () -> HealthReport)?
    /// An extra readiness condition: what is unmet when not ready, `nil` when ready.
    public let readinessGate: (@Sendable () -> String?)?

    public init(
        monitor: HealthMonitor, lifecycle: LifecycleState, telemetry: Telemetry, wedgedAfter: Duration? = nil,
        aggregateReport: (@Sendable () -> HealthReport)? = nil, readinessGate: (@Sendable () -> String?)? = nil
    ) {
        self.monitor = monitor
        self.lifecycle = lifecycle
        self.telemetry = telemetry
        self.aggregateReport = aggregateReport
        self.readinessGate = readinessGate
        let interval = monitor.configuration.interval + monitor.configuration.timeout
        self.wedgedAfter = wedgedAfter ?? max(.seconds(10), interval * 5)
    }

    /// `true` while the monitor keeps finishing checks.
    public var isLive: Bool { self.monitor.heartbeatAge < self.wedgedAfter }

    /// The readiness status: `fail`, with its reason, when starting, draining,
    /// the extra condition is unmet or a critical check fails.
    public var readiness: (status: HealthStatus, reason: NotReadyReason?) {
        switch self.lifecycle.current {
        case .starting: return (.fail, .starting)
        case .draining: return (.fail, .draining)
        case .running:
            if let condition = self.readinessGate?() { return (.fail, .unmet(condition)) }
            let snapshot = self.monitor.snapshot
            return snapshot.criticalChecksPass ? (snapshot.status, nil) : (.fail, .criticalCheckFailing)
        }
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/health/live") { _, _ in
            self.isLive ? Self.small(.pass, output: nil, code: .ok) : Self.small(.fail, output: "wedged", code: .serviceUnavailable)
        }
        router.get("/health/ready") { _, _ in
            await self.runChecksIfDirect()
            let (status, reason) = self.readiness
            return Self.small(status, output: reason?.output, code: status.isServing ? .ok : .serviceUnavailable)
        }
        router.get("/health/startup") { _, _ in
            self.lifecycle.isStarted ? Self.small(.pass, output: nil, code: .ok) : Self.small(.fail, output: NotReadyReason.starting.output, code: .serviceUnavailable)
        }
        router.get("/health") { _, _ in
            await self.runChecksIfDirect()
            if let aggregateReport = self.aggregateReport {
                var report = aggregateReport()
                if self.lifecycle.current != .running {
                    report.status = .fail
                    report.output = self.lifecycle.current.rawValue
                }
                return Self.response(report.encoded(), code: report.status.isServing ? .ok : .serviceUnavailable)
            }
            let snapshot = self.monitor.snapshot
            let body: [UInt8]
            let status: HealthStatus
            switch self.readiness {
            // The report shows a failing critical check itself; any other reason is said in its output.
            case (.fail, let reason?) where reason != .criticalCheckFailing:
                var report = snapshot.report
                report.status = .fail
                report.output = reason.output
                body = report.encoded()
                status = .fail
            default:
                body = snapshot.encodedReport
                status = snapshot.status
            }
            return Self.response(body, code: status.isServing ? .ok : .serviceUnavailable)
        }
        // Readiness as of each scrape, so alert rules see what probes see.
        MetricsEndpoint(telemetry: self.telemetry) {
            HealthMetrics(telemetry: self.telemetry).recordReadiness(self.readiness.status.isServing)
        }.register(on: router)
    }

    /// Benchmark- and ablation-only `HEALTH_PROBE_MODE=direct`: run every check now, on this probe.
    private func runChecksIfDirect() async {
        if self.monitor.configuration.probeMode == .direct {
            await self.monitor.runAllOnce()
        }
    }

    private static let smallBodies: [String: [UInt8]] = {
        var bodies: [String: [UInt8]] = [:]
        for status in HealthStatus.allCases {
            bodies[status.rawValue] = Array(#"{"status":"\#(status.rawValue)"}"#.utf8)
        }
        return bodies
    }()

    private static func small(_ status: HealthStatus, output: String?, code: HTTPResponse.Status) -> Response {
        if let output {
            return Self.response(Array(#"{"output":"\#(output)","status":"\#(status.rawValue)"}"#.utf8), code: code)
        }
        return Self.response(Self.smallBodies[status.rawValue] ?? [], code: code)
    }

    private static func response(_ body: [UInt8], code: HTTPResponse.Status) -> Response {
        Response(
            status: code,
            headers: [.contentType: HealthReport.mediaType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
