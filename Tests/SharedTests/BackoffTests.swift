import Shared
import Testing

/// A deterministic generator (SplitMix64) so jitter can be checked exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct BackoffTests {
    @Test func ceilingDoublesUpToTheCap() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
        #expect(backoff.ceiling(attempt: 0) == .milliseconds(100))
        #expect(backoff.ceiling(attempt: 1) == .milliseconds(200))
        #expect(backoff.ceiling(attempt: 3) == .milliseconds(800))
        #expect(backoff.ceiling(attempt: 4) == .seconds(1))
        #expect(backoff.ceiling(attempt: 10_000) == .seconds(1))
    }

    @Test func delaysStayWithinZeroAndTheCeiling() {
        var generator = SeededGenerator(state: 42)
        var backoff = Backoff(base: .milliseconds(10), cap: .milliseconds(500))
        for attempt in 0..<50 {
            let ceiling = backoff.ceiling(attempt: attempt)
            let delay = backoff.next(using: &generator)
            #expect(delay >= .zero && delay <= ceiling)
        }
        #expect(backoff.attempt == 50)
    }

    @Test func jitterSpreadsDelays() {
        var generator = SeededGenerator(state: 7)
        let delays = (0..<200).map { _ in
            var backoff = Backoff(base: .milliseconds(100), cap: .milliseconds(100))
            return backoff.next(using: &generator)
        }
        // Full jitter: uniform over [0, 100 ms], so both halves are used.
        #expect(delays.contains { $0 < .milliseconds(50) })
        #expect(delays.contains { $0 > .milliseconds(50) })
        #expect(Set(delays).count > 150)
    }
}
