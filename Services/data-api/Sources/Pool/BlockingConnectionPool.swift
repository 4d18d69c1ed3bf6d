import NIOPosix
import Shared
import Synchronization

/// A connection of a blocking C client that ``BlockingConnectionPool`` manages.
/// Closing is the class's `deinit`.
protocol BlockingConnection: AnyObject, Sendable {
    /// `true` once the connection can't be reused (I/O error, timeout,
    /// unfinished transaction): the pool drops it instead of keeping it.
    var isBroken: Bool { get }
}

/// A bounded pool of connections of a blocking C library (libpq, hiredis)
/// whose every blocking call runs on the pool's own `NIOThreadPool`, never on
/// the threads that run Swift Concurrency (the services' event loops).
///
/// - At most `maxConnections` are open; an acquire beyond that waits up to
///   `acquireTimeout`, then fails with ``PoolError/exhausted``.
/// - A connection that comes back broken is dropped, and so is every idle one:
///   when one connection died the server most likely restarted or went away,
///   and keeping the others would hand out zombies. The next acquire connects
///   anew, so the pool heals by itself as soon as the server answers again.
/// - When a caller stops waiting for a call (its task is cancelled, e.g. by
///   a health check's timeout), every idle connection is dropped at once, not
///   only when the stuck call finally fails: a server or a path that vanished
///   without resetting its connections (a stopped container) leaves them all
///   silently dead, and each would hang its next caller the same way.
/// - A call on a reused connection that fails because the connection was
///   stale can be retried once on a fresh one (`retryOnStale`), for reads only.
/// - A call that goes `first` (a health check) never queues behind requests
///   and finds its connection open: requests hold at most `maxConnections`,
///   one slot more is kept for calls that go first (served before every
///   waiting request too), and the connection such a call used is kept for
///   the next one, never handed to a request. A pool busy with slow
///   requests, or with transactions holding every connection, does not make
///   the check wait, nor connect anew (on a slow network a connect alone can
///   outlast its timeout): a slow database is measured as slow, not as failed.
final class BlockingConnectionPool<Connection: BlockingConnection>: Sendable {
    typealias Connect = @Sendable () throws -> Connection

    let maxConnections: Int
    let acquireTimeout: Duration
    private let metrics: PoolMetrics
    private let threadPool: NIOThreadPool
    private let connect: Connect
    private let state = Mutex(State())

    private struct State {
        var idle: [Connection] = []
        /// The connection kept for calls that go first.
        var firstIdle: Connection?
        /// Connections leased out or being created, and how many of them
        /// by calls that go first.
        var busy = 0
        var busyFirst = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false

        /// Whether one more lease is allowed: requests hold at most `limit`,
        /// and every call together one more.
        func admits(first: Bool, limit: Int) -> Bool {
            self.busy < limit + 1 && (first || self.busy - self.busyFirst < limit)
        }

        mutating func lease(first: Bool) {
            self.busy += 1
            if first { self.busyFirst += 1 }
        }

        mutating func endLease(first: Bool) {
            self.busy -= 1
            if first { self.busyFirst -= 1 }
        }

        /// Every idle connection, taken out of the pool.
        mutating func takeIdle() -> [Connection] {
            defer {
                self.idle = []
                self.firstIdle = nil
            }
            return self.idle + (self.firstIdle.map { [$0] } ?? [])
        }

        /// Leases to the waiter to serve now, if any may have it: the first
        /// one that goes first, else (unless `firstOnly`) the longest waiting.
        mutating func nextWaiter(limit: Int, firstOnly: Bool = false) -> Waiter? {
            guard let index = self.waiters.firstIndex(where: \.first) ?? (firstOnly ? nil : self.waiters.indices.first),
                self.admits(first: self.waiters[index].first, limit: limit)
            else { return nil }
            let waiter = self.waiters.remove(at: index)
            self.lease(first: waiter.first)
            return waiter
        }
    }

    private struct Waiter {
        let id: Int
        let first: Bool
        let continuation: CheckedContinuation<Lease, any Error>
    }

    private enum Lease {
        case reuse(Connection)
        case create
    }

    init(maxConnections: Int, acquireTimeout: Duration, metrics: PoolMetrics, connect: @escaping Connect) {
        precondition(maxConnections >= 1)
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.metrics = metrics
        self.connect = connect
        // One thread per connection (the one kept for calls that go first
        // included): a blocked call never delays another.
        self.threadPool = NIOThreadPool(numberOfThreads: maxConnections + 1)
        self.threadPool.start()
    }

    /// Runs `body` with a connection, on the pool's threads; `first` jumps
    /// the queue of waiting calls (see the type's comment).
    func withConnection<T: Sendable>(
        retryOnStale: Bool = false, first: Bool = false, _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> T {
        let (connection, fresh) = try await self.acquire(first: first)
        do {
            let result = try await self.run(body, on: connection)
            self.release(connection, first: first)
            return result
        } catch {
            let broken = connection.isBroken
            self.release(connection, first: first)
            guard retryOnStale, broken, !fresh else { throw error }
            let (retry, _) = try await self.acquire(forceNew: true, first: first)
            do {
                let result = try await self.run(body, on: retry)
                self.release(retry, first: first)
                return result
            } catch {
                self.release(retry, first: first)
                throw error
            }
        }
    }

    /// Runs `body` on the pool's threads; if the caller's task is cancelled
    /// meanwhile, the call goes on and the idle connections are dropped.
    private func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T, on connection: Connection) async throws -> T {
        try await withTaskCancellationHandler {
            try await self.threadPool.runIfActive { [metrics] in
                let started = ContinuousClock.now
                defer { metrics.called(.call, for: .now - started) }
                return try body(connection)
            }
        } onCancel: {
            self.dropIdle()
        }
    }

    /// Closes every idle connection (outside the lock, as `dropped` goes out of scope).
    private func dropIdle() {
        let dropped: [Connection] = self.state.withLock { $0.takeIdle() }
        withExtendedLifetime(dropped) {}
    }

    /// Numbers for metrics and tests: idle and busy connections, waiting calls.
    var counts: (idle: Int, busy: Int, waiting: Int) {
        self.state.withLock { ($0.idle.count + ($0.firstIdle == nil ? 0 : 1), $0.busy, $0.waiters.count) }
    }

    /// Closes every idle connection, fails waiters, refuses new acquires and
    /// stops the threads once in-flight calls are done.
    func close() async {
        // Idle connections close (deinit) as `idle` goes out of scope, outside the lock.
        let (idle, waiters) = self.state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return (state.takeIdle(), state.waiters)
        }
        withExtendedLifetime(idle) {}
        for waiter in waiters { waiter.continuation.resume(throwing: PoolError.closed) }
        try? await self.threadPool.shutdownGracefully()
    }

    private func acquire(forceNew: Bool = false, first: Bool) async throws -> (Connection, fresh: Bool) {
        let waitStarted = ContinuousClock.now
        let lease: Lease
        do {
            lease = try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<Lease, any Error>? = self.state.withLock { state in
                    if state.closed { return .failure(PoolError.closed) }
                    if forceNew { _ = state.takeIdle() }
                    if first, let connection = state.firstIdle {
                        state.firstIdle = nil
                        state.lease(first: true)
                        return .success(.reuse(connection))
                    }
                    if state.admits(first: first, limit: self.maxConnections) {
                        state.lease(first: first)
                        return .success(state.idle.popLast().map(Lease.reuse) ?? .create)
                    }
                    let id = state.nextWaiterID
                    state.nextWaiterID += 1
                    state.waiters.append(Waiter(id: id, first: first, continuation: continuation))
                    let timeout = self.acquireTimeout
                    Task { [weak self] in
                        try? await Task.sleep(for: timeout)
                        self?.expireWaiter(id)
                    }
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } catch {
            // A wait that ended in a timeout counts too.
            self.metrics.waited(.now - waitStarted)
            throw error
        }
        self.metrics.waited(.now - waitStarted)
        switch lease {
        case .reuse(let connection):
            return (connection, false)
        case .create:
            do {
                let (connect, metrics) = (self.connect, self.metrics)
                return (
                    try await self.threadPool.runIfActive {
                        let started = ContinuousClock.now
                        defer { metrics.called(.connect, for: .now - started) }
                        return try connect()
                    }, true
                )
            } catch {
                self.releaseSlot(first: first)
                throw error
            }
        }
    }

    private func expireWaiter(_ id: Int) {
        let waiter: Waiter? = self.state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: PoolError.exhausted)
    }

    private func release(_ connection: Connection, first: Bool) {
        if connection.isBroken {
            // Drop it and every idle connection (see the type's comment).
            self.dropIdle()
            self.releaseSlot(first: first)
            return
        }
        let waiter: Waiter? = self.state.withLock { state in
            state.endLease(first: first)
            if state.closed { return nil }
            // The connection of a call that went first is kept for the next such call.
            let keptForFirst = first && state.firstIdle == nil
            if let waiter = state.nextWaiter(limit: self.maxConnections, firstOnly: keptForFirst) { return waiter }
            if keptForFirst {
                state.firstIdle = connection
            } else {
                state.idle.append(connection)
            }
            return nil
        }
        waiter?.continuation.resume(returning: .reuse(connection))
    }

    /// A busy slot became free without a connection to hand over: the next
    /// waiter, if any, may create one.
    private func releaseSlot(first: Bool) {
        let waiter: Waiter? = self.state.withLock { state in
            state.endLease(first: first)
            return state.closed ? nil : state.nextWaiter(limit: self.maxConnections)
        }
        waiter?.continuation.resume(returning: .create)
    }
}

/// Errors of ``BlockingConnectionPool`` itself.
struct PoolError: Error, SafeErrorDescription, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case exhausted
        case closed
    }

    private let code: Code

    /// No connection became free within the acquire timeout.
    static let exhausted = PoolError(code: .exhausted)
    /// The pool is shut down.
    static let closed = PoolError(code: .closed)

    var safeDescription: String {
        switch self.code {
        case .exhausted: "connection pool exhausted"
        case .closed: "shutting down"
        }
    }

    var description: String { self.safeDescription }
}
