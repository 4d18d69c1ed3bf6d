import NIOCore

/// A deadline on one event loop that moves often, and almost always later: a
/// connection's idle time, a request's per-try timeout. Moving or clearing it
/// costs no timer operation: a NIO timer is scheduled only when none is
/// pending at or before the new deadline, and one that fires early finds the
/// deadline not reached (or cleared) and sleeps again until it (or not at all).
///
/// NIO cancels a timer by searching the loop's scheduled tasks one by one;
/// a schedule and a cancel per deadline set was about 7 % of the proxy's CPU
/// (docs/performance.md). Owned by a handler and touched only on its loop.
struct LazyTimer {
    /// What the owner waits for; `nil` when nothing.
    private(set) var deadline: NIODeadline?
    /// The NIO timer scheduled, and when it fires.
    private var pending: (at: NIODeadline, callback: NIOScheduledCallback)?

    /// Waits for `deadline` instead of any earlier one; `handler` is
    /// scheduled only when no timer fires at or before it.
    mutating func set(_ deadline: NIODeadline, on eventLoop: any EventLoop, handler: some NIOScheduledCallbackHandler & Sendable) {
        self.deadline = deadline
        if let pending = self.pending {
            if pending.at <= deadline { return }
            pending.callback.cancel()
        }
        self.schedule(deadline, on: eventLoop, handler: handler)
    }

    /// Waits for nothing; a pending timer fires unheeded.
    mutating func clear() {
        self.deadline = nil
    }

    /// The scheduled timer fired: whether the deadline has passed (then it is
    /// cleared); if not, the timer is scheduled again for it.
    mutating func fired(on eventLoop: any EventLoop, handler: some NIOScheduledCallbackHandler & Sendable) -> Bool {
        self.pending = nil
        guard let deadline = self.deadline else { return false }
        if deadline <= eventLoop.now {
            self.deadline = nil
            return true
        }
        self.schedule(deadline, on: eventLoop, handler: handler)
        return false
    }

    /// Cancels the pending timer, so that it no longer holds its handler.
    mutating func cancel() {
        self.pending?.callback.cancel()
        self.pending = nil
        self.deadline = nil
    }

    private mutating func schedule(_ deadline: NIODeadline, on eventLoop: any EventLoop, handler: some NIOScheduledCallbackHandler & Sendable) {
        guard let callback = try? eventLoop.scheduleCallback(at: deadline, handler: handler) else { return }
        self.pending = (deadline, callback)
    }
}
