#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `disk:utilization`: the used share of the file system holding `path`, in
/// percent; `warn` above `warnPercent`. Non-critical.
public struct DiskUtilizationCheck: HealthCheck {
    public let descriptor = CheckDescriptor(component: "disk", measurement: "utilization", componentType: "system", criticality: .nonCritical)
    public let path: String
    public let warnPercent: Double

    public init(path: String = "/", warnPercent: Double) {
        self.path = path
        self.warnPercent = warnPercent
    }

    public func run() async throws -> HealthObservation {
        var stats = statvfs()
        guard statvfs(self.path, &stats) == 0, stats.f_blocks > 0 else { throw SystemCheckError.unavailable }
        let total = Double(stats.f_blocks)
        let available = Double(stats.f_bavail)
        let used = (1 - available / total) * 100
        return Self.observation(percent: used, warnPercent: self.warnPercent)
    }

    static func observation(percent: Double, warnPercent: Double) -> HealthObservation {
        let rounded = (percent * 10).rounded() / 10
        return HealthObservation(
            status: rounded > warnPercent ? .warn : .pass,
            observedValue: rounded,
            observedUnit: "percent",
            output: rounded > warnPercent ? "above \(Self.text(warnPercent))%" : nil
        )
    }

    /// `value` as Foundation's `formatted()` writes it (locale-free, for values
    /// from 1 to 100): at most 6 fraction digits, none for a whole number.
    static func text(_ value: Double) -> String {
        let rounded = (value * 1_000_000).rounded() / 1_000_000
        return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
    }
}

/// `memory:utilization`: the used share of the memory this process may use,
/// in percent: the cgroup v2 limit when one is set (containers), otherwise the
/// machine's memory (`MemAvailable`). `warn` above `warnPercent`. Non-critical.
public struct MemoryUtilizationCheck: HealthCheck {
    public let descriptor = CheckDescriptor(component: "memory", measurement: "utilization", componentType: "system", criticality: .nonCritical)
    public let warnPercent: Double

    public init(warnPercent: Double) {
        self.warnPercent = warnPercent
    }

    public func run() async throws -> HealthObservation {
        guard let percent = Self.cgroupPercent() ?? Self.meminfoPercent() else { throw SystemCheckError.unavailable }
        return DiskUtilizationCheck.observation(percent: percent, warnPercent: self.warnPercent)
    }

    static func cgroupPercent() -> Double? {
        guard let limitText = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
            let limit = Double(limitText.trimmingWhitespaceAndNewlines()), limit > 0,
            let currentText = try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8),
            let current = Double(currentText.trimmingWhitespaceAndNewlines())
        else { return nil }
        return current / limit * 100
    }

    static func meminfoPercent() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return Self.percent(meminfo: text)
    }

    /// Used percent from `/proc/meminfo` text: `1 - MemAvailable / MemTotal`.
    static func percent(meminfo: String) -> Double? {
        var values: [Substring: Double] = [:]
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let value = Double(parts[1]) { values[parts[0]] = value }
        }
        guard let total = values["MemTotal"], total > 0, let available = values["MemAvailable"] else { return nil }
        return (1 - available / total) * 100
    }
}

/// A system measurement could not be read.
public struct SystemCheckError: Error, SafeErrorDescription, Hashable {
    private enum Code: Hashable { case unavailable }
    private let code: Code
    public static let unavailable = SystemCheckError(code: .unavailable)
    public var safeDescription: String { "measurement unavailable" }
}
