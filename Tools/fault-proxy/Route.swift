import NIOCore
import Synchronization

/// One proxied route: its addresses, its fault, and a registry of the
/// connections it carries. The registry is behind a lock (it changes once a
/// connection, never per byte); each connection keeps its own state on its own
/// event loop and hears of a fault change through that loop.
final class Route: Sendable {
    let name: String
    let upstream: Endpoint
    private let state: Mutex<State>
    private let held = Atomic<Int>(0)

    private struct State {
        var listen: Endpoint
        var fault = Fault.none
        var connections: [Int: NIOLoopBound<ProxyConnection>] = [:]
        var accepted = 0
    }

    init(_ spec: RouteSpec) {
        self.name = spec.name
        self.upstream = spec.upstream
        self.state = Mutex(State(listen: spec.listen))
    }

    /// Where the route listens: the configured address until it is bound, then
    /// the bound one (a configured port 0 becomes the port the system chose).
    var listen: Endpoint {
        get { self.state.withLock { $0.listen } }
        set { self.state.withLock { $0.listen = newValue } }
    }

    /// Adds a new connection; returns its id and the fault it starts under.
    func register(_ connection: NIOLoopBound<ProxyConnection>) -> (id: Int, fault: Fault) {
        self.state.withLock { state in
            state.accepted += 1
            state.connections[state.accepted] = connection
            return (state.accepted, state.fault)
        }
    }

    func unregister(_ id: Int) {
        _ = self.state.withLock { $0.connections.removeValue(forKey: id) }
    }

    /// Counts bytes a connection starts (positive) or stops (negative) holding.
    func hold(_ bytes: Int) {
        if bytes != 0 { self.held.add(bytes, ordering: .relaxed) }
    }

    /// Sets the fault, logs it, and succeeds with the route's status once every
    /// open connection has applied it.
    func setFault(_ fault: Fault, on eventLoop: any EventLoop) -> EventLoopFuture<RouteStatus> {
        let (applied, open) = self.state.withLock { state in
            state.fault = fault
            // Submitted under the lock: two quick changes reach every connection in the order they were made.
            let applied = state.connections.values.map { connection in
                connection.eventLoop.submit { connection.value.apply(fault) }
            }
            return (applied, state.connections.count)
        }
        Console.out("fault-proxy: \(self.name) fault \(fault) (\(open) open connection\(open == 1 ? "" : "s"))")
        return EventLoopFuture.andAllComplete(applied, on: eventLoop).map { self.status() }
    }

    func status() -> RouteStatus {
        self.state.withLock { state in
            RouteStatus(
                name: self.name, listen: state.listen.description, upstream: self.upstream.description, fault: state.fault.wire,
                openConnections: state.connections.count, acceptedConnections: state.accepted, heldBytes: self.held.load(ordering: .relaxed)
            )
        }
    }
}
