import Shared
import Testing

@Suite struct CircuitBreakerTests {
    let start = ContinuousClock.now

    func breaker(consecutive: Int = 3, window: Int = 10, minimum: Int = 4, rate: Double = 0.5, probes: Int = 2) -> CircuitBreaker {
        CircuitBreaker(
            .init(windowSize: window, minimumCalls: minimum, failureRateThreshold: rate, consecutiveFailures: consecutive, openDuration: .seconds(5), halfOpenProbes: probes)
        )
    }

    /// Acquires then records one call at `offset` seconds after `start`.
    func call(_ breaker: inout CircuitBreaker, success: Bool, at offset: Double = 0) -> Bool {
        let now = self.start + .milliseconds(Int(offset * 1000))
        guard breaker.tryAcquire(now: now) else { return false }
        breaker.record(success: success, now: now)
        return true
    }

    @Test func closedLetsCallsThroughAndOpensOnConsecutiveFailures() {
        var breaker = self.breaker(consecutive: 3, minimum: 100)
        #expect(self.call(&breaker, success: false))
        #expect(self.call(&breaker, success: false))
        #expect(breaker.state == .closed)
        #expect(self.call(&breaker, success: false))
        #expect(breaker.state == .open)
        #expect(!self.call(&breaker, success: true), "open refuses calls")
    }

    @Test func anOpenBreakerIsReportedHalfOpenOnceItsWaitIsOverWithoutAnyCall() {
        var breaker = self.breaker(consecutive: 1)
        _ = self.call(&breaker, success: false)
        #expect(breaker.reportedState(now: self.start + .seconds(4)) == .open)
        #expect(breaker.reportedState(now: self.start + .seconds(5)) == .halfOpen, "no call needed to report it")
        #expect(breaker.state == .open, "reporting changes nothing")
        #expect(self.call(&breaker, success: true, at: 5) && self.call(&breaker, success: true, at: 5))
        #expect(breaker.reportedState(now: self.start + .seconds(5)) == .closed)
    }

    @Test func aSuccessResetsTheStreak() {
        var breaker = self.breaker(consecutive: 3, minimum: 100)
        for success in [false, false, true, false, false] { _ = self.call(&breaker, success: success) }
        #expect(breaker.state == .closed)
    }

    @Test func opensOnTheFailureRateOnlyWithEnoughCalls() {
        var breaker = self.breaker(consecutive: 100, window: 10, minimum: 4, rate: 0.5)
        for success in [false, true, false] { _ = self.call(&breaker, success: success) }
        #expect(breaker.failureRate == nil, "below the minimum number of calls")
        #expect(breaker.state == .closed)
        _ = self.call(&breaker, success: true)
        #expect(breaker.failureRate == 0.5)
        #expect(breaker.state == .open)
    }

    @Test func theWindowSlides() {
        var breaker = self.breaker(consecutive: 100, window: 4, minimum: 4, rate: 0.75)
        for success in [false, false, true, true, true, true] { _ = self.call(&breaker, success: success) }
        #expect(breaker.failureRate == 0, "old failures left the window")
        #expect(breaker.state == .closed)
    }

    @Test func admitsTellsWithoutReserving() {
        var breaker = self.breaker(consecutive: 1, probes: 1)
        #expect(breaker.admits(now: self.start))
        _ = self.call(&breaker, success: false, at: 0)
        #expect(!breaker.admits(now: self.start + .milliseconds(4900)))
        #expect(breaker.admits(now: self.start + .seconds(5)), "open with its wait over: the next call is a probe")
        #expect(breaker.state == .open, "asking changes nothing")
        let acquired = breaker.tryAcquire(now: self.start + .seconds(5))
        #expect(acquired)
        #expect(!breaker.admits(now: self.start + .seconds(5)), "half-open with every probe slot taken")
    }

    @Test func halfOpensAfterTheWaitAndClosesAfterProbeSuccesses() {
        var breaker = self.breaker(consecutive: 1, probes: 2)
        _ = self.call(&breaker, success: false, at: 0)
        #expect(!self.call(&breaker, success: true, at: 4.9))
        #expect(breaker.state == .open)
        #expect(self.call(&breaker, success: true, at: 5))
        #expect(breaker.state == .halfOpen)
        #expect(self.call(&breaker, success: true, at: 5.1))
        #expect(breaker.state == .closed)
    }

    @Test func halfOpenLimitsConcurrentProbes() {
        var breaker = self.breaker(consecutive: 1, probes: 2)
        _ = self.call(&breaker, success: false, at: 0)
        let now = self.start + .seconds(6)
        let acquired = (0..<3).map { _ in breaker.tryAcquire(now: now) }
        #expect(acquired == [true, true, false], "at most two probes in flight")
        breaker.record(success: true, now: now)
        let afterOneFinished = breaker.tryAcquire(now: now)
        #expect(afterOneFinished)
    }

    @Test func aFailedProbeReopensForAnotherWait() {
        var breaker = self.breaker(consecutive: 1, probes: 2)
        _ = self.call(&breaker, success: false, at: 0)
        #expect(self.call(&breaker, success: false, at: 6))
        #expect(breaker.state == .open)
        #expect(!self.call(&breaker, success: true, at: 10.9))
        #expect(self.call(&breaker, success: true, at: 11))
        #expect(breaker.state == .halfOpen)
    }
}

@Suite struct RetryBudgetTests {
    @Test func floorAllowsAFewRetriesWhenQuiet() {
        let budget = RetryBudget(percent: 0.2, minimumConcurrency: 3)
        #expect(budget.limit(activeRequests: 1) == 3)
        #expect(budget.allowsRetry(activeRequests: 1, activeRetries: 2))
        #expect(!budget.allowsRetry(activeRequests: 1, activeRetries: 3))
    }

    @Test func scalesWithLoad() {
        let budget = RetryBudget(percent: 0.2, minimumConcurrency: 3)
        #expect(budget.limit(activeRequests: 100) == 20)
        #expect(budget.allowsRetry(activeRequests: 100, activeRetries: 19))
        #expect(!budget.allowsRetry(activeRequests: 100, activeRetries: 20))
        #expect(budget.limit(activeRequests: 14) == 3, "⌊0.2 · 14⌋ = 2 < floor")
    }
}
