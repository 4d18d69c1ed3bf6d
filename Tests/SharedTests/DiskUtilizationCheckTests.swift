import Testing

@testable import Shared

@Suite struct DiskUtilizationCheckTests {
    /// The threshold in the output reads as Foundation's `formatted()` wrote it.
    @Test(arguments: [(90.0, "above 90%"), (85.5, "above 85.5%"), (33.3333333, "above 33.333333%"), (1, "above 1%")])
    func warnsAboveTheThresholdAndNamesIt(threshold: Double, output: String) {
        let observation = DiskUtilizationCheck.observation(percent: 99.96, warnPercent: threshold)
        #expect(observation.status == .warn)
        #expect(observation.output == output)
        #expect(observation.observedValue == 100)
    }

    @Test func passesAtOrBelowTheThreshold() {
        let observation = DiskUtilizationCheck.observation(percent: 90.04, warnPercent: 90)
        #expect(observation.status == .pass)
        #expect(observation.output == nil)
    }
}
