/// Exponential backoff with full jitter (the AWS Architecture Blog's "Full Jitter").
///
/// Formula: for the `n`-th delay (`n` from 0), `ceiling = min(cap, base · 2ⁿ)`
/// and the delay is uniform in `[0, ceiling]`. Full jitter spreads retries of
/// many clients so they don't arrive in waves.
public struct Backoff: Sendable, Equatable {
    public let base: Duration
    public let cap: Duration
    /// Delays handed out so far.
    public private(set) var attempt = 0

    public init(base: Duration, cap: Duration) {
        precondition(base > .zero && cap >= base, "need 0 < base <= cap")
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the `n`-th delay: `min(cap, base · 2ⁿ)`.
    public func ceiling(attempt n: Int) -> Duration {
        // Stop doubling once past the cap, so large attempts can't overflow.
        var ceiling = self.base
        var step = 0
        while step < n, ceiling < self.cap {
            ceiling *= 2
            step += 1
        }
        return min(ceiling, self.cap)
    }

    /// The next delay, uniform in `[0, ceiling(attempt)]`.
    public mutating func next<R: RandomNumberGenerator>(using generator: inout R) -> Duration {
        let ceiling = self.ceiling(attempt: self.attempt)
        self.attempt += 1
        let nanoseconds = Int64(ceiling.milliseconds * 1_000_000)
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &generator))
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.next(using: &generator)
    }
}
