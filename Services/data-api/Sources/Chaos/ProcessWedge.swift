#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// Demo only: wedges the process on purpose, for the `wedged-process` demo.
///
/// Blocks every thread that runs Swift Concurrency (the event loops, see
/// `ServiceMain.runConcurrencyOnEventLoops`) until a deadline. The HTTP
/// handlers and the health monitor run there, so the process stops answering
/// and its health heartbeat stops (`/health/live` turns `503` once the
/// heartbeat is older than the wedge threshold), while the watchdog, an OS
/// thread of its own, keeps watching and exits the process. Reachable only
/// through `PUT /admin/chaos` with the admin token (`"wedgeMs"`).
enum ProcessWedge {
    static let range = 0...600_000

    /// Starts the wedge after `delay` (so the admin answer goes out first).
    /// More blockers than the pool has threads: whatever its width, every
    /// thread is taken; blockers that start late return at the same deadline.
    static func start(for duration: Duration, after delay: Duration = .milliseconds(200)) {
        let blockers = max(4, ProcessInfo.processInfo.activeProcessorCount * 4)
        let deadline = ContinuousClock.now + delay + duration
        for _ in 0..<blockers {
            Task.detached {
                try? await Task.sleep(for: delay)
                self.block(until: deadline)
            }
        }
    }

    /// Blocks the calling thread (on purpose: that is the fault).
    private static func block(until deadline: ContinuousClock.Instant) {
        while ContinuousClock.now < deadline {
            DetachedThread.sleep(for: .milliseconds(50))
        }
    }
}
