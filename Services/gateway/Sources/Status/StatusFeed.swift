#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Shared
import Synchronization

/// The live feed behind the status page (`/health/events`).
///
/// The upstream poller calls ``publish()`` after each round; it builds a
/// ``StatusSnapshot`` from the results the poller just recorded (so viewers
/// add no call downstream), notes every change of state in a history
/// bounded to `historyLimit` transitions, and sends server-sent events to
/// every viewer: each transition at once, the snapshot when something
/// changed or a second after the last one (so a viewer hears from the
/// gateway at least once a second and can tell a lost connection).
///
/// At most `maxViewers` viewers at a time; a viewer's slot is freed by
/// ``leave(_:)``, which the event stream calls as soon as a write to the
/// client fails or the server shuts down. A viewer whose stream never
/// started (its client went away before the response head was written) is
/// dropped `unstartedLimit` after it joined.
final class StatusFeed: Sendable {
    /// One viewer's subscription: what to send first, then the stream of events.
    struct Viewer: Sendable {
        let id: Int
        let initial: ByteBuffer
        let events: AsyncStream<ByteBuffer>
    }

    private struct Subscriber {
        let continuation: AsyncStream<ByteBuffer>.Continuation
        let joined: ContinuousClock.Instant
        var started = false
    }

    private struct State {
        var snapshot: StatusSnapshot?
        var history: [StatusTransition] = []
        /// Each subject's state and since when.
        var states: [String: (state: String, since: Date)] = [:]
        /// Each endpoint's number in its name (`replica-N`), in the order first seen.
        var names: [String: Int] = [:]
        var lastName = 0
        var viewers: [Int: Subscriber] = [:]
        var lastViewer = 0
        var lastPush: ContinuousClock.Instant?
    }

    let health: GatewayHealth
    let traffic: TrafficWindow
    let maxViewers: Int
    let showAddresses: Bool
    let historyLimit: Int
    /// How often a snapshot is sent when nothing changed.
    static let heartbeat: Duration = .seconds(1)
    static let unstartedLimit: Duration = .seconds(10)
    private let startedAt = Date()
    private let state = Mutex(State())

    init(health: GatewayHealth, traffic: TrafficWindow, maxViewers: Int, showAddresses: Bool, historyLimit: Int = 1000) {
        self.health = health
        self.traffic = traffic
        self.maxViewers = maxViewers
        self.showAddresses = showAddresses
        self.historyLimit = historyLimit
    }

    /// Builds the snapshot from the poller's last results, records the
    /// transitions and sends what is due to every viewer.
    func publish(now: Date = Date(), clock: ContinuousClock.Instant = .now) {
        let endpoints = self.health.endpoints.all.map(\.snapshot)
        let own = self.health.monitor.snapshot
        let traffic = self.traffic.summary(now: clock)
        self.state.withLock { state in
            let present = Set(endpoints.map(\.url))
            state.names = state.names.filter { present.contains($0.key) }
            let named = endpoints.map { endpoint in
                if let known = state.names[endpoint.url] { return (known, endpoint) }
                state.lastName += 1
                state.names[endpoint.url] = state.lastName
                return (state.lastName, endpoint)
            }
            let replicas = named.sorted { $0.0 < $1.0 }.map { ordinal, endpoint in
                let entry = GatewayHealth.endpointEntry(endpoint)
                return StatusSnapshot.Replica(
                    name: "replica-\(ordinal)", address: self.showAddresses ? endpoint.url : nil, status: entry.status,
                    breaker: endpoint.breaker.rawValue, ejected: endpoint.ejected, responseTimeMilliseconds: endpoint.latencyMilliseconds,
                    output: entry.output, checkedAt: entry.time, checks: StatusSnapshot.checks(endpoint.report?.checks)
                )
            }
            let snapshot = StatusSnapshot(
                time: HealthTime.string(now), startedAt: HealthTime.string(self.startedAt),
                status: GatewayHealth.status(endpoints, own: own.status), gateway: StatusSnapshot.checks(own.report.checks),
                replicas: replicas, traffic: traffic
            )
            let transitions = self.record(snapshot, now: now, in: &state)
            state.snapshot = snapshot
            for (id, viewer) in state.viewers where !viewer.started && clock - viewer.joined > Self.unstartedLimit {
                state.viewers[id] = nil
                viewer.continuation.finish()
            }
            let due = state.lastPush.map { clock - $0 >= Self.heartbeat } ?? true
            guard !state.viewers.isEmpty, due || !transitions.isEmpty else { return }
            state.lastPush = clock
            var message = ByteBuffer()
            for transition in transitions { Self.append(event: "transition", transition, to: &message) }
            Self.append(event: "status", snapshot, to: &message)
            for viewer in state.viewers.values { viewer.continuation.yield(message) }
        }
    }

    /// A new viewer, or `nil` when `maxViewers` are connected already.
    func join(now: ContinuousClock.Instant = .now) -> Viewer? {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(16))
        return self.state.withLock { state in
            guard state.viewers.count < self.maxViewers else { return nil }
            state.lastViewer += 1
            state.viewers[state.lastViewer] = Subscriber(continuation: continuation, joined: now)
            // A browser reconnects by itself after `retry` milliseconds.
            var initial = ByteBuffer(string: "retry: 1000\n\n")
            Self.append(event: "history", state.history, to: &initial)
            if let snapshot = state.snapshot { Self.append(event: "status", snapshot, to: &initial) }
            return Viewer(id: state.lastViewer, initial: initial, events: stream)
        }
    }

    /// Notes that viewer `id`'s stream is being written; `false` when it was dropped already.
    func start(_ id: Int) -> Bool {
        self.state.withLock { state in
            guard state.viewers[id] != nil else { return false }
            state.viewers[id]?.started = true
            return true
        }
    }

    /// Frees viewer `id`'s slot and ends its stream (idempotent).
    func leave(_ id: Int) {
        self.state.withLock { $0.viewers.removeValue(forKey: id) }?.continuation.finish()
    }

    /// Compares `snapshot` with the states known; returns (and keeps) the transitions.
    private func record(_ snapshot: StatusSnapshot, now: Date, in state: inout State) -> [StatusTransition] {
        var transitions: [StatusTransition] = []
        for (subject, value, output) in snapshot.states {
            guard let known = state.states[subject] else {
                state.states[subject] = (value, now)
                continue
            }
            guard known.state != value else { continue }
            let since = known.since
            transitions.append(
                StatusTransition(
                    time: HealthTime.string(now), subject: subject, from: known.state, to: value,
                    fromDurationSeconds: (now.timeIntervalSince(since) * 1000).rounded() / 1000, output: output
                )
            )
            state.states[subject] = (value, now)
        }
        let current = Set(snapshot.states.map(\.subject))
        state.states = state.states.filter { current.contains($0.key) }
        state.history.append(contentsOf: transitions)
        if state.history.count > self.historyLimit { state.history.removeFirst(state.history.count - self.historyLimit) }
        return transitions
    }

    /// Appends one server-sent event, `value` as one line of JSON.
    private static func append(event: String, _ value: some Encodable, to buffer: inout ByteBuffer) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        buffer.writeString("event: \(event)\ndata: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
    }
}
