import Synchronization

/// Every request the load sent: its outcome, status and latency, and every
/// write the gateway acknowledged (2xx), to be looked up after recovery.
final class LoadRecorder: Sendable {
    struct Sample: Sendable {
        var atMs: Int
        var isWrite: Bool
        /// HTTP status, or `nil` for a transport error / client timeout.
        var status: Int?
        var latencyMs: Double
        /// It asked for the poison item (``Scenario/poisonsOneItem``).
        var isPoison = false
        /// Why it failed, for a failed request; `nil` when nothing says.
        var cause: ErrorCause?
        /// What the failed request got, to show one that no cause explains.
        var answer: String?
        /// The answer carried `Retry-After`.
        var hasRetryAfter = false
        /// The gateway's own time on it (the `dur` of its `gateway` entry in
        /// `Server-Timing`), for a failed request the gateway answered.
        var gatewayMs: Double?
        /// Sent by the overload (``Overload``), not by the steady load.
        var isOverload = false
        var ok: Bool { self.status.map { (200..<300).contains($0) } ?? false }
    }

    private struct State {
        var samples: [Sample] = []
        var acknowledgedWrites: [Int] = []
    }

    private let state = Mutex(State())

    func record(_ sample: Sample) {
        self.state.withLock { $0.samples.append(sample) }
    }

    func acknowledgeWrite(id: Int) {
        self.state.withLock { $0.acknowledgedWrites.append(id) }
    }

    var samples: [Sample] { self.state.withLock { $0.samples } }
    var acknowledgedWrites: [Int] { self.state.withLock { $0.acknowledgedWrites } }
}
