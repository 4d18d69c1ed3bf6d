import Foundation
import Shared
import Testing

@Suite struct DetachedThreadTests {
    @Test func runsTheBodyOnANewThreadWithItsName() async throws {
        let caller = pthread_self()
        let (name, sameThread): (String, Bool) = await withCheckedContinuation { continuation in
            DetachedThread.start(name: "detached-test") {
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                continuation.resume(returning: (comm.trimmingWhitespaceAndNewlines(), pthread_equal(pthread_self(), caller) != 0))
            }
        }
        #expect(name == "detached-test")
        #expect(!sameThread)
    }

    @Test func sleepBlocksForAtLeastTheDuration() {
        let started = ContinuousClock.now
        DetachedThread.sleep(for: .milliseconds(30))
        #expect(ContinuousClock.now - started >= .milliseconds(30))
    }
}
