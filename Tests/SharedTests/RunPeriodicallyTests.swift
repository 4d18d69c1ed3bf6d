import Shared
import Testing

@Suite struct RunPeriodicallyTests {
    @Test func runsAtOnceThenAgainUntilStopped() async {
        var runs = 0
        await runPeriodically(every: .milliseconds(1), jitter: 0.5, until: { runs == 3 }) { runs += 1 }
        #expect(runs == 3)
    }

    /// The documented bound, a lower one: after each run, the whole interval passes before the next.
    @Test func fromTheEndOfARunItPausesTheWholeInterval() async {
        var runs = 0
        let clock = ContinuousClock()
        let started = clock.now
        await runPeriodically(every: .milliseconds(40), from: .endOfRun, until: { runs == 3 }) {
            runs += 1
            try? await Task.sleep(for: .milliseconds(40))
        }
        #expect(clock.now - started >= .milliseconds(3 * 40 + 3 * 40), "three runs and the pause after each")
    }

    @Test(.timeLimit(.minutes(1))) func endsWhenItsTaskIsCancelled() async {
        let (started, continuation) = AsyncStream.makeStream(of: Void.self)
        let loop = Task {
            var runs = 0
            await runPeriodically(every: .seconds(3600)) {
                runs += 1
                continuation.yield()
            }
            return runs
        }
        for await _ in started { break }
        loop.cancel()
        #expect(await loop.value == 1, "ran at once, then its wait ended with the cancellation")
    }
}
