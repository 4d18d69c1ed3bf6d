/// A circuit breaker for one upstream endpoint: `closed → open → halfOpen → closed`.
///
/// - **closed**: calls flow. It opens when the last `consecutiveFailures`
///   calls all failed, or when, over a sliding window of the last `windowSize`
///   calls holding at least `minimumCalls`, the failure rate reaches
///   `failureRateThreshold` (`failures / calls ≥ threshold`).
/// - **open**: calls are refused until `openDuration` has passed since it opened.
/// - **halfOpen**: up to `halfOpenProbes` calls at a time are let through as
///   probes; `halfOpenProbes` consecutive successes close it (with an empty
///   window), and any failure opens it again for another `openDuration`.
///
/// A pure value: the caller passes the time and keeps it behind a lock.
public struct CircuitBreaker: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        public var windowSize: Int
        public var minimumCalls: Int
        public var failureRateThreshold: Double
        public var consecutiveFailures: Int
        public var openDuration: Duration
        public var halfOpenProbes: Int

        public init(
            windowSize: Int = 20, minimumCalls: Int = 10, failureRateThreshold: Double = 0.5, consecutiveFailures: Int = 5,
            openDuration: Duration = .seconds(5), halfOpenProbes: Int = 2
        ) {
            precondition(windowSize >= 1 && minimumCalls >= 1 && consecutiveFailures >= 1 && halfOpenProbes >= 1)
            self.windowSize = windowSize
            self.minimumCalls = minimumCalls
            self.failureRateThreshold = failureRateThreshold
            self.consecutiveFailures = consecutiveFailures
            self.openDuration = openDuration
            self.halfOpenProbes = halfOpenProbes
        }
    }

    public enum State: String, Sendable, Equatable {
        case closed
        case open
        case halfOpen = "half-open"
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed
    /// Outcomes in the window, oldest first (`true` = failure).
    private var window: [Bool] = []
    private var failureStreak = 0
    private var openedAt: ContinuousClock.Instant?
    private var probesInFlight = 0
    private var probeSuccesses = 0

    public init(_ configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The state as reported (health, metrics): `half-open` as soon as an open
    /// breaker's wait is over, before any call arrives, since the next call
    /// will be a probe.
    public func reportedState(now: ContinuousClock.Instant) -> State {
        self.state == .open && self.admits(now: now) ? .halfOpen : self.state
    }

    /// Whether ``tryAcquire(now:)`` would let a call through now, without
    /// reserving anything: closed; open with its wait over (the call becomes
    /// the first half-open probe); half-open with a probe slot free.
    public func admits(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .closed: true
        case .open: self.openedAt.map { now >= $0 + self.configuration.openDuration } ?? false
        case .halfOpen: self.probesInFlight < self.configuration.halfOpenProbes
        }
    }

    /// Whether a call may go out now; in `halfOpen` a `true` reserves a probe
    /// slot that the call's ``record(success:now:)`` releases.
    public mutating func tryAcquire(now: ContinuousClock.Instant) -> Bool {
        switch self.state {
        case .closed:
            return true
        case .open:
            guard let openedAt, now >= openedAt + self.configuration.openDuration else { return false }
            self.state = .halfOpen
            self.probesInFlight = 0
            self.probeSuccesses = 0
            return self.tryAcquire(now: now)
        case .halfOpen:
            guard self.probesInFlight < self.configuration.halfOpenProbes else { return false }
            self.probesInFlight += 1
            return true
        }
    }

    /// Records the outcome of a call that ``tryAcquire(now:)`` let through.
    public mutating func record(success: Bool, now: ContinuousClock.Instant) {
        switch self.state {
        case .closed:
            self.window.append(!success)
            if self.window.count > self.configuration.windowSize { self.window.removeFirst(self.window.count - self.configuration.windowSize) }
            self.failureStreak = success ? 0 : self.failureStreak + 1
            if self.failureStreak >= self.configuration.consecutiveFailures || self.failureRateReached {
                self.open(now: now)
            }
        case .halfOpen:
            self.probesInFlight = max(0, self.probesInFlight - 1)
            guard success else {
                self.open(now: now)
                return
            }
            self.probeSuccesses += 1
            if self.probeSuccesses >= self.configuration.halfOpenProbes {
                self.state = .closed
                self.window = []
                self.failureStreak = 0
                self.openedAt = nil
            }
        case .open:
            // A call that started before the breaker opened: its outcome changes nothing.
            break
        }
    }

    /// The failure rate over the window, `nil` below `minimumCalls`.
    /// A call that was abandoned before its outcome was known (its client
    /// left): frees its half-open probe slot and counts nothing.
    public mutating func release() {
        if self.state == .halfOpen { self.probesInFlight = max(0, self.probesInFlight - 1) }
    }

    public var failureRate: Double? {
        guard self.window.count >= self.configuration.minimumCalls else { return nil }
        return Double(self.window.filter { $0 }.count) / Double(self.window.count)
    }

    private var failureRateReached: Bool {
        guard let rate = self.failureRate else { return false }
        return rate >= self.configuration.failureRateThreshold
    }

    private mutating func open(now: ContinuousClock.Instant) {
        self.state = .open
        self.openedAt = now
        self.probesInFlight = 0
        self.probeSuccesses = 0
    }
}
