import NIOCore

/// Idle upstream connections of one event loop, per endpoint. Touched only on
/// that loop: no lock. The most recently used connection goes out first (its
/// upstream is least likely to have timed it out). A connection idle for
/// `idleTimeout` is closed: an upstream that vanished without a word (a
/// stopped container, a partition) must not keep sockets here for ever.
final class UpstreamPool {
    let eventLoop: any EventLoop
    private let maxIdlePerEndpoint: Int
    private let idleTimeout: TimeAmount
    /// By endpoint identity: every pooled connection holds its endpoint, so
    /// no other endpoint can take the address of one that has connections here.
    private var idle: [ObjectIdentifier: Connections] = [:]
    /// The next sweep for idle connections, while any is idle.
    private var sweep: NIOScheduledCallback?

    /// One endpoint's idle connections: a class, so taking one mutates the
    /// list in place (no copy, no dictionary write per request).
    private final class Connections {
        var list: [UpstreamConnection] = []
    }

    init(eventLoop: any EventLoop, maxIdlePerEndpoint: Int, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        self.idleTimeout = idleTimeout
    }

    /// An open idle connection to `endpoint`, if there is one.
    func take(_ endpoint: Endpoint) -> UpstreamConnection? {
        self.eventLoop.assertInEventLoop()
        guard let connections = self.idle[ObjectIdentifier(endpoint)] else { return nil }
        while let connection = connections.list.popLast() {
            if connection.isActive { return connection }
        }
        return nil
    }

    /// Keeps `connection` for the next exchange, or closes it when enough are idle.
    func put(_ connection: UpstreamConnection) {
        self.eventLoop.assertInEventLoop()
        guard connection.isActive else { return }
        let connections: Connections
        let key = ObjectIdentifier(connection.endpoint)
        if let existing = self.idle[key] {
            connections = existing
        } else {
            connections = Connections()
            self.idle[key] = connections
        }
        if connections.list.count < self.maxIdlePerEndpoint {
            connection.idleSince = .now()
            connections.list.append(connection)
            if self.sweep == nil { self.scheduleSweep() }
        } else {
            connection.close()
        }
    }

    /// Forgets a connection that closed while idle.
    func remove(_ connection: UpstreamConnection) {
        self.idle[ObjectIdentifier(connection.endpoint)]?.list.removeAll { $0 === connection }
    }

    private func scheduleSweep() {
        self.sweep = try? self.eventLoop.scheduleCallback(in: self.idleTimeout, handler: Sweep(pool: NIOLoopBound(self, eventLoop: self.eventLoop)))
    }

    /// Closes the connections idle for `idleTimeout` or more and forgets
    /// endpoints left with none; sweeps again while any connection is idle.
    fileprivate func closeExpired() {
        self.sweep = nil
        let cutoff = NIODeadline.now() - self.idleTimeout
        var expired: [UpstreamConnection] = []
        for (endpoint, connections) in self.idle {
            // Oldest first: the list is in the order connections came back.
            let count = connections.list.prefix { $0.idleSince <= cutoff }.count
            expired += connections.list.prefix(count)
            connections.list.removeFirst(count)
            if connections.list.isEmpty { self.idle[endpoint] = nil }
        }
        // Closed once the lists are consistent: a close reaches remove(_:).
        for connection in expired { connection.close() }
        if !self.idle.isEmpty { self.scheduleSweep() }
    }

    private struct Sweep: NIOScheduledCallbackHandler, Sendable {
        let pool: NIOLoopBound<UpstreamPool>

        func handleScheduledCallback(eventLoop: some EventLoop) {
            self.pool.value.closeExpired()
        }
    }
}
