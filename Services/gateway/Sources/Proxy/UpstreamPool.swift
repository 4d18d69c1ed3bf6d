import NIOCore

/// Idle upstream connections of one event loop, per endpoint. Touched only on
/// that loop: no lock. The most recently used connection goes out first (its
/// upstream is least likely to have timed it out).
final class UpstreamPool {
    let eventLoop: any EventLoop
    private let maxIdlePerEndpoint: Int
    private var idle: [String: Connections] = [:]

    /// One endpoint's idle connections: a class, so taking one mutates the
    /// list in place (no copy, no dictionary write per request).
    private final class Connections {
        var list: [UpstreamConnection] = []
    }

    init(eventLoop: any EventLoop, maxIdlePerEndpoint: Int) {
        self.eventLoop = eventLoop
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
    }

    /// An open idle connection to `endpoint`, if there is one.
    func take(_ endpoint: String) -> UpstreamConnection? {
        self.eventLoop.assertInEventLoop()
        guard let connections = self.idle[endpoint] else { return nil }
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
        if let existing = self.idle[connection.endpoint] {
            connections = existing
        } else {
            connections = Connections()
            self.idle[connection.endpoint] = connections
        }
        if connections.list.count < self.maxIdlePerEndpoint {
            connections.list.append(connection)
        } else {
            connection.close()
        }
    }

    /// Forgets a connection that closed while idle.
    func remove(_ connection: UpstreamConnection) {
        self.idle[connection.endpoint]?.list.removeAll { $0 === connection }
    }
}
