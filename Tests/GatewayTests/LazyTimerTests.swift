import NIOCore
import NIOEmbedded
import Testing

@testable import Gateway

/// ``LazyTimer`` on an embedded event loop, whose clock only moves when told.
@Suite struct LazyTimerTests {
    /// Owns a timer as the handlers do, and counts the deadlines that passed.
    final class Owner {
        let loop = EmbeddedEventLoop()
        var timer = LazyTimer()
        var expirations = 0
        /// Timer callbacks run, heeded or not.
        var wakeUps = 0

        func set(in amount: TimeAmount) {
            self.timer.set(self.loop.now + amount, on: self.loop, handler: self.handler)
        }

        var handler: Handler { Handler(owner: NIOLoopBound(self, eventLoop: self.loop)) }

        func fired() {
            self.wakeUps += 1
            if self.timer.fired(on: self.loop, handler: self.handler) { self.expirations += 1 }
        }

        struct Handler: NIOScheduledCallbackHandler, Sendable {
            let owner: NIOLoopBound<Owner>
            func handleScheduledCallback(eventLoop: some EventLoop) { self.owner.value.fired() }
        }
    }

    @Test func aDeadlineMovedLaterFiresOnceAtItsLastValue() {
        let owner = Owner()
        owner.set(in: .seconds(10))
        owner.set(in: .seconds(20))
        owner.loop.advanceTime(by: .seconds(10))
        // Woken at the first deadline, it found the second not reached.
        #expect(owner.wakeUps == 1 && owner.expirations == 0)
        owner.loop.advanceTime(by: .seconds(9))
        #expect(owner.expirations == 0)
        owner.loop.advanceTime(by: .seconds(1))
        #expect(owner.wakeUps == 2 && owner.expirations == 1)
        #expect(owner.timer.deadline == nil)
    }

    @Test func aDeadlineMovedEarlierFiresThen() {
        let owner = Owner()
        owner.set(in: .seconds(20))
        owner.set(in: .seconds(5))
        owner.loop.advanceTime(by: .seconds(5))
        #expect(owner.wakeUps == 1 && owner.expirations == 1)
        owner.loop.advanceTime(by: .seconds(30))
        // The timer for the first deadline was cancelled.
        #expect(owner.wakeUps == 1)
    }

    @Test func aClearedDeadlineFiresUnheeded() {
        let owner = Owner()
        owner.set(in: .seconds(10))
        owner.timer.clear()
        owner.loop.advanceTime(by: .seconds(30))
        #expect(owner.wakeUps == 1 && owner.expirations == 0)
        owner.set(in: .seconds(1))
        owner.loop.advanceTime(by: .seconds(1))
        #expect(owner.expirations == 1)
    }

    @Test func cancelStopsThePendingTimer() {
        let owner = Owner()
        owner.set(in: .seconds(10))
        owner.timer.cancel()
        owner.loop.advanceTime(by: .seconds(30))
        #expect(owner.wakeUps == 0 && owner.expirations == 0)
    }
}
