import Synchronization

/// A service's own lifecycle, as readiness and start-up probes see it.
///
/// `starting` until start-up work (e.g. migrations) is done, then `running`;
/// `draining` from the first shutdown signal on. Only `running` can be ready.
public final class LifecycleState: Sendable {
    public enum Phase: String, Sendable {
        case starting
        case running
        case draining
    }

    private let phase: Atomic<Int>

    public init(_ phase: Phase = .starting) {
        self.phase = Atomic(Self.code(phase))
    }

    public var current: Phase {
        switch self.phase.load(ordering: .acquiring) {
        case 0: .starting
        case 1: .running
        default: .draining
        }
    }

    /// Start-up work finished (has no effect once draining).
    public func markStarted() {
        _ = self.phase.compareExchange(expected: Self.code(.starting), desired: Self.code(.running), ordering: .acquiringAndReleasing)
    }

    /// Shutdown began: readiness turns 503 from now on.
    public func markDraining() {
        self.phase.store(Self.code(.draining), ordering: .releasing)
    }

    /// `true` once start-up work is done (also while draining).
    public var isStarted: Bool { self.current != .starting }

    private static func code(_ phase: Phase) -> Int {
        switch phase {
        case .starting: 0
        case .running: 1
        case .draining: 2
        }
    }
}
