#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The stack's timing settings the expectations are derived from. Read from
/// the same environment variables the services read (the wrappers export
/// what they started the stack with), with the services' defaults.
struct StackSettings: Sendable, Codable {
    var requestDeadlineMs = 5000
    var perTryTimeoutMs = 2000
    var healthIntervalMs = 250
    var healthTimeoutMs = 1000
    var healthFailureThreshold = 2
    var redisCommandTimeoutMs = 250
    var upstreamHealthIntervalMs = 250
    var upstreamHealthTimeoutMs = 500
    /// Client-side allowance over the deadline (scheduling on a shared CPU).
    var deadlineSlackMs = 500

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> StackSettings {
        var settings = StackSettings()
        func read(_ name: String, _ keyPath: WritableKeyPath<StackSettings, Int>) {
            if let value = environment[name].flatMap(Int.init), value >= 0 { settings[keyPath: keyPath] = value }
        }
        read("REQUEST_DEADLINE_MS", \.requestDeadlineMs)
        read("PER_TRY_TIMEOUT_MS", \.perTryTimeoutMs)
        read("HEALTH_INTERVAL_MS", \.healthIntervalMs)
        read("HEALTH_TIMEOUT_MS", \.healthTimeoutMs)
        read("HEALTH_FAILURE_THRESHOLD", \.healthFailureThreshold)
        read("REDIS_COMMAND_TIMEOUT_MS", \.redisCommandTimeoutMs)
        read("UPSTREAM_HEALTH_INTERVAL_MS", \.upstreamHealthIntervalMs)
        read("UPSTREAM_HEALTH_TIMEOUT_MS", \.upstreamHealthTimeoutMs)
        read("DEMO_DEADLINE_SLACK_MS", \.deadlineSlackMs)
        return settings
    }

    /// "Three health intervals" of the check that should notice the fault (a
    /// silent partition: the check's interval plus its timeout, times its
    /// failure threshold). A
    /// refused connection fails a check at once, so an interval is the check
    /// interval; a hung peer fails it only at its timeout, so an interval is
    /// the interval plus the timeout. Request time-outs first take a per-try
    /// timeout to happen at all.
    func detectionBudgetMs(_ detection: Scenario.Detection) -> Int? {
        switch detection {
        case .dependencyCheck: 3 * self.healthIntervalMs
        case .dependencyTimeout: (self.healthIntervalMs + self.healthTimeoutMs) * self.healthFailureThreshold
        case .upstreamRefused: 3 * self.upstreamHealthIntervalMs
        case .upstreamTimeout: 3 * (self.upstreamHealthIntervalMs + self.upstreamHealthTimeoutMs)
        case .requestTimeouts: self.perTryTimeoutMs + 3 * self.upstreamHealthIntervalMs
        case .notExpected: nil
        }
    }
}
