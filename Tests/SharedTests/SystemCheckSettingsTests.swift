import Shared
import Testing

@Suite struct SystemCheckSettingsTests {
    @Test func thresholdsGoIntoTheDiskAndMemoryChecks() throws {
        let settings = try SystemCheckSettings(EnvironmentReader(environment: ["DISK_WARN_PERCENT": "75", "MEMORY_WARN_PERCENT": "80.5"]))
        let checks = settings.checks
        #expect(checks.map(\.descriptor.key) == ["disk:utilization", "memory:utilization"])
        #expect((checks[0] as? DiskUtilizationCheck)?.warnPercent == 75)
        #expect((checks[1] as? MemoryUtilizationCheck)?.warnPercent == 80.5)
        #expect(try SystemCheckSettings(EnvironmentReader(environment: [:])) == SystemCheckSettings(diskWarnPercent: 90, memoryWarnPercent: 90))
    }

    @Test(arguments: [("DISK_WARN_PERCENT", "0"), ("MEMORY_WARN_PERCENT", "101"), ("MEMORY_WARN_PERCENT", "lots")])
    func rejectsAThresholdOutsideOneToAHundred(key: String, value: String) {
        #expect(throws: ConfigError.self) { try SystemCheckSettings(EnvironmentReader(environment: [key: value])) }
    }
}
