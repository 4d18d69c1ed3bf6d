/// Damps the flapping of a check's status.
///
/// A check reported as healthy turns `fail` only after `failureThreshold`
/// consecutive failed runs, and a failing check turns back only after
/// `successThreshold` consecutive successful runs. Before its first run the
/// state is `fail` (unknown is not healthy); the first success (or, when
/// `failureThreshold` is 1, the first failure) settles it.
///
/// Formula: with `f` consecutive failures and `s` consecutive successes so far,
/// `healthy' = healthy ? f < failureThreshold : s >= successThreshold`.
public struct FlapDamper: Sendable, Equatable {
    public let failureThreshold: Int
    public let successThreshold: Int
    public private(set) var isHealthy: Bool
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    public private(set) var hasRun = false

    public init(failureThreshold: Int, successThreshold: Int) {
        precondition(failureThreshold >= 1 && successThreshold >= 1, "thresholds start at 1")
        self.failureThreshold = failureThreshold
        self.successThreshold = successThreshold
        self.isHealthy = false
    }

    /// Records one run; returns `true` when the damped state changed.
    @discardableResult
    public mutating func record(success: Bool) -> Bool {
        let before = self.isHealthy
        let firstRun = !self.hasRun
        self.hasRun = true
        if success {
            self.consecutiveSuccesses += 1
            self.consecutiveFailures = 0
            if firstRun || self.consecutiveSuccesses >= self.successThreshold {
                self.isHealthy = true
            }
        } else {
            self.consecutiveFailures += 1
            self.consecutiveSuccesses = 0
            if self.consecutiveFailures >= self.failureThreshold {
                self.isHealthy = false
            }
        }
        return before != self.isHealthy
    }
}
