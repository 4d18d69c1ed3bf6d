#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// What happened during a run, with millisecond offsets from its start;
/// each event is printed the moment it is recorded (the live timeline).
final class Timeline: Sendable {
    enum Kind: String, Codable, Sendable {
        case note, faultInjected, firstClientError, healthDegraded, breakerOpened, endpointEjected
        case faultRemoved, healthRecovered, breakerClosed, endpointReturned
    }

    struct Event: Codable, Sendable {
        var atMs: Int
        var kind: Kind
        var text: String
    }

    let start: ContinuousClock.Instant
    private let events = Mutex<[Event]>([])
    private let live: Bool

    init(start: ContinuousClock.Instant = .now, live: Bool = true) {
        self.start = start
        self.live = live
    }

    /// Milliseconds since the start.
    func offset(_ instant: ContinuousClock.Instant = .now) -> Int {
        Int((instant - self.start).milliseconds.rounded())
    }

    @discardableResult
    func record(_ kind: Kind, _ text: String, at instant: ContinuousClock.Instant = .now) -> Int {
        let event = Event(atMs: self.offset(instant), kind: kind, text: text)
        self.events.withLock { $0.append(event) }
        if self.live {
            let offset = String(event.atMs)
            print(String(repeating: " ", count: max(0, 8 - offset.count)) + offset + " ms  " + event.text)
            fflush(nil)
        }
        return event.atMs
    }

    var all: [Event] { self.events.withLock { $0 } }

    /// The first event of one of `kinds` at or after `fromMs`.
    func first(_ kinds: Set<Kind>, fromMs: Int) -> Event? {
        self.all.first { kinds.contains($0.kind) && $0.atMs >= fromMs }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
