import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import Testing

/// `HEALTH_PROBE_MODE` (benchmark-only): `cached` answers probes from the
/// monitor's last results, `direct` runs every check on each probe.
@Suite struct HealthProbeModeTests {
    /// Sends `count` probes to each of `/health/ready` and `/health` and
    /// returns how many times the check ran because of them.
    func checkRunsCausedByProbes(mode: HealthProbeMode, count: Int) async throws -> Int {
        let postgres = ScriptedCheck("postgres", .critical)
        let monitor = HealthMonitor(
            serviceId: "test",
            checks: [postgres],
            configuration: .init(interval: .seconds(3600), probeMode: mode),
            telemetry: Telemetry(),
            logger: Logger(label: "test")
        )
        await monitor.runAllOnce()
        let before = postgres.runs
        let router = Router()
        HealthEndpoints(monitor: monitor, lifecycle: LifecycleState(.running), telemetry: Telemetry()).register(on: router)
        try await Application(router: router).test(.router) { client in
            for path in ["/health/ready", "/health"] {
                for _ in 0..<count {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
            }
        }
        return postgres.runs - before
    }

    @Test func cachedProbesNeverRunTheCheck() async throws {
        #expect(try await self.checkRunsCausedByProbes(mode: .cached, count: 50) == 0)
    }

    @Test func directProbesRunTheCheckOncePerProbe() async throws {
        #expect(try await self.checkRunsCausedByProbes(mode: .direct, count: 50) == 100)
    }

    @Test func modeIsReadFromTheEnvironmentAndDefaultsToCached() throws {
        #expect(try HealthMonitorConfiguration(EnvironmentReader(environment: [:])).probeMode == .cached)
        #expect(try HealthMonitorConfiguration(EnvironmentReader(environment: ["HEALTH_PROBE_MODE": "direct"])).probeMode == .direct)
        #expect(throws: ConfigError.self) { try HealthMonitorConfiguration(EnvironmentReader(environment: ["HEALTH_PROBE_MODE": "sometimes"])) }
    }
}
