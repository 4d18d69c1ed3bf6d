import Shared
import Testing

@Suite struct HealthStatusTests {
    @Test func severityOrder() {
        #expect(HealthStatus.pass < .warn)
        #expect(HealthStatus.warn < .fail)
        #expect(HealthStatus.worst([.pass, .fail, .warn]) == .fail)
        #expect(HealthStatus.worst([]) == .pass)
    }

    @Test func servingStatuses() {
        #expect(HealthStatus.pass.isServing)
        #expect(HealthStatus.warn.isServing)
        #expect(!HealthStatus.fail.isServing)
    }

    @Test(arguments: [
        ([(HealthStatus.pass, Criticality.critical), (.pass, .nonCritical)], HealthStatus.pass),
        ([(.pass, .critical), (.fail, .nonCritical)], .warn),
        ([(.fail, .critical), (.pass, .nonCritical)], .fail),
        ([(.warn, .critical), (.pass, .nonCritical)], .warn),
        ([(.pass, .critical), (.warn, .nonCritical)], .warn),
    ])
    func aggregationCapsNonCriticalAtWarn(checks: [(HealthStatus, Criticality)], expected: HealthStatus) {
        #expect(HealthReport.aggregate(checks.map { (status: $0.0, criticality: $0.1) }) == expected)
    }
}

@Suite struct FlapDamperTests {
    /// Records a run and returns whether the state changed (a wrapper: `#expect` can't call a mutating method).
    func record(_ damper: inout FlapDamper, _ success: Bool) -> Bool {
        damper.record(success: success)
    }

    @Test func unknownIsUnhealthyUntilFirstSuccess() {
        var damper = FlapDamper(failureThreshold: 3, successThreshold: 2)
        #expect(!damper.isHealthy)
        #expect(record(&damper, true))
        #expect(damper.isHealthy)
    }

    @Test func turnsFailOnlyAfterNConsecutiveFailures() {
        var damper = FlapDamper(failureThreshold: 3, successThreshold: 1)
        damper.record(success: true)
        #expect(!record(&damper, false))
        #expect(!record(&damper, false))
        #expect(damper.isHealthy)
        #expect(record(&damper, false))
        #expect(!damper.isHealthy)
    }

    @Test func aSuccessResetsTheFailureCount() {
        var damper = FlapDamper(failureThreshold: 2, successThreshold: 1)
        damper.record(success: true)
        damper.record(success: false)
        damper.record(success: true)
        damper.record(success: false)
        #expect(damper.isHealthy)
        #expect(damper.consecutiveFailures == 1)
    }

    @Test func turnsBackOnlyAfterMConsecutiveSuccesses() {
        var damper = FlapDamper(failureThreshold: 1, successThreshold: 3)
        damper.record(success: true)
        damper.record(success: false)
        #expect(!damper.isHealthy)
        damper.record(success: true)
        damper.record(success: true)
        #expect(!damper.isHealthy)
        damper.record(success: false)
        damper.record(success: true)
        damper.record(success: true)
        #expect(!damper.isHealthy)
        #expect(record(&damper, true))
        #expect(damper.isHealthy)
    }
}
