#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Exits the process when its liveness has been failing for `timeout`, so a
/// restart policy (`restart: unless-stopped`, the local supervisor) heals a
/// wedged process: Docker never restarts a container for being *unhealthy*,
/// only when it exits.
///
/// Runs on its own OS thread, not a Swift task: a wedged process is often one
/// whose Swift Concurrency threads are blocked, and a task-based watchdog would
/// be wedged with it.
public final class Watchdog: Sendable {
    private let isLive: @Sendable () -> Bool
    private let timeout: Duration
    private let logger: Logger

    /// `WATCHDOG_TIMEOUT_MS`, default 30 s; 0 turns the watchdog off.
    public static func timeout(_ reader: EnvironmentReader) throws -> Duration {
        try reader.milliseconds("WATCHDOG_TIMEOUT_MS", default: .seconds(30), range: 0...3_600_000)
    }

    public init(timeout: Duration, logger: Logger, isLive: @escaping @Sendable () -> Bool) {
        self.timeout = timeout
        self.logger = logger
        self.isLive = isLive
    }

    /// Starts watching (no-op when the timeout is zero).
    public func start() {
        guard self.timeout > .zero else { return }
        DetachedThread.start(name: "watchdog") { self.watch() }
    }

    private func watch() {
        let clock = ContinuousClock()
        var failingSince: ContinuousClock.Instant?
        while true {
            DetachedThread.sleep(for: .milliseconds(500))
            if self.isLive() {
                failingSince = nil
                continue
            }
            let since = failingSince ?? clock.now
            failingSince = since
            if clock.now - since >= self.timeout {
                self.logger.critical("liveness failing; exiting so the restart policy restarts the process", metadata: ["for_ms": "\(Int((clock.now - since).milliseconds))"])
                exit(70)
            }
        }
    }
}
