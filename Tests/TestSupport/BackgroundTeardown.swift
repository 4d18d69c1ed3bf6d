import Dispatch
import Foundation
import Synchronization

/// Runs a test server's blocking teardown (`pg_ctl stop`, `waitpid`, removing
/// its files) on a thread of its own, never on the Swift cooperative pool
/// (see ``offloaded(_:)`` for why not on a Dispatch queue).
///
/// A suite's servers are released in `deinit`, which runs on whatever
/// cooperative thread dropped the last reference. The pool has one thread
/// per core (two here): a `pg_ctl stop -w` there held every task of the test
/// process (in-process upstreams, the app under test) for up to 5.4 s, so
/// gateways saw per-try timeouts that no server caused (measured with a
/// sleep-lateness probe in the full GatewayTests run). The process waits for
/// pending teardowns at exit, then runs the ones left for the exit
/// (``atExit(_:)``), so nothing outlives it.
public enum BackgroundTeardown {
    private static let group = DispatchGroup()
    private static let atExitWork = Mutex<[@Sendable () -> Void]>([])
    private static let registered: Void = {
        atexit {
            BackgroundTeardown.group.wait()
            for work in BackgroundTeardown.atExitWork.withLock({ $0 }) { work() }
        }
    }()

    public static func run(_ work: @escaping @Sendable () -> Void) {
        Self.registered
        Self.group.enter()
        Thread.detachNewThread {
            work()
            Self.group.leave()
        }
    }

    /// Runs `work` when the process exits, after every pending ``run(_:)``:
    /// the teardown of what lives as long as the process (the shared servers).
    public static func atExit(_ work: @escaping @Sendable () -> Void) {
        Self.registered
        Self.atExitWork.withLock { $0.append(work) }
    }
}
