import Synchronization

/// Collapses concurrent calls for one key into one: while a call for `key`
/// is in flight, later callers for the same key wait for its result instead
/// of making their own (a cache miss stampede costs one query, not one per
/// request). ``forget(_:)`` makes later callers start afresh, for a write
/// that must be read back (a call in flight may have read the old value).
///
/// The call runs in a task of its own: a caller that is cancelled stops
/// waiting, and the others still get the result.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Flight {
        let id: UInt64
        let task: Task<Value, any Error>
    }

    private struct State {
        var flights: [Key: Flight] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The result of `body` for `key`: this caller's own call, or the one in flight.
    public func run(_ key: Key, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = self.state.withLock { state -> Task<Value, any Error> in
            if let flight = state.flights[key] { return flight.task }
            state.nextID &+= 1
            let id = state.nextID
            let task = Task {
                defer { self.end(key, id: id) }
                return try await body()
            }
            state.flights[key] = Flight(id: id, task: task)
            return task
        }
        return try await task.value
    }

    /// Callers from now on start a call of their own for `key`.
    public func forget(_ key: Key) {
        self.state.withLock { _ = $0.flights.removeValue(forKey: key) }
    }

    private func end(_ key: Key, id: UInt64) {
        self.state.withLock { state in
            if state.flights[key]?.id == id { state.flights[key] = nil }
        }
    }
}
