import Synchronization

/// Pauses the steady load and tells when nothing of it is in flight: the
/// cold-cache herd counts the queries of its own reads only.
final class LoadGate: Sendable {
    private let closed = Atomic<Bool>(false)
    /// The load's requests in flight.
    let inFlight = Counter()

    var isOpen: Bool { !self.closed.load(ordering: .sequentiallyConsistent) }

    func open() { self.closed.store(false, ordering: .sequentiallyConsistent) }

    /// Stops new requests; `true` once those in flight are done, `false`
    /// if they are not within `limit`.
    func close(drainingWithin limit: Duration) async -> Bool {
        self.closed.store(true, ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + limit
        while self.inFlight.value > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
