/// `DISK_WARN_PERCENT` and `MEMORY_WARN_PERCENT`: above which used share a
/// service's own disk and memory checks warn. Both services read the same two.
public struct SystemCheckSettings: Sendable, Equatable {
    public var diskWarnPercent: Double
    public var memoryWarnPercent: Double

    public init(diskWarnPercent: Double = 90, memoryWarnPercent: Double = 90) {
        self.diskWarnPercent = diskWarnPercent
        self.memoryWarnPercent = memoryWarnPercent
    }

    public init(_ reader: EnvironmentReader) throws {
        let defaults = SystemCheckSettings()
        self.init(
            diskWarnPercent: try reader.double("DISK_WARN_PERCENT", default: defaults.diskWarnPercent, range: 1...100),
            memoryWarnPercent: try reader.double("MEMORY_WARN_PERCENT", default: defaults.memoryWarnPercent, range: 1...100)
        )
    }

    /// `disk:utilization` and `memory:utilization` with these thresholds.
    public var checks: [any HealthCheck] {
        [DiskUtilizationCheck(warnPercent: self.diskWarnPercent), MemoryUtilizationCheck(warnPercent: self.memoryWarnPercent)]
    }
}
