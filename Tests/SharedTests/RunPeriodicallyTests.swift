import Shared
import Testing

@Suite struct RunPeriodicallyTests {
    @Test func runsAtOnceThenAgainUntilStopped() async {
        var runs = 0
        await runPeriodically(every: .milliseconds(1), jitter: 0.5, until: { runs == 3 }) { runs += 1 }
        #expect(runs == 3)
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
