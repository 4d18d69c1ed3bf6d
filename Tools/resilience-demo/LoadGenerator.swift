import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared
import Synchronization

/// A steady, bounded load through the gateway: `rate` requests a second, at
/// most `maxInFlight` at once, until `stop` is set (then it waits for the
/// requests in flight: no request is cut short by the demo itself). Four in
/// five are reads (an item by id, or `/api/data`); one in five creates an item
/// with an `Idempotency-Key` (so the gateway may retry it) and every 2xx is
/// recorded as an acknowledged write. With a `poisonID`, one request in ten
/// reads that item instead.
struct LoadGenerator: Sendable {
    let client: HTTPClient
    let gatewayURL: String
    let rate: Int
    let maxInFlight: Int
    let clientTimeoutMs: Int
    let seedIDs: [Int]
    var poisonID: Int?
    let label: String
    let recorder: LoadRecorder
    let timeline: Timeline
    var gate = LoadGate()
    /// The overload's requests (``Overload``): every one a list read
    /// (``Overload/path``), tagged in its sample, and their first error is
    /// not the timeline's "first client error".
    var isOverload = false

    func run(until stop: FirstFlag) async {
        let period = Duration.seconds(1) / self.rate
        let firstError = FirstFlag()
        let inFlight = self.gate.inFlight
        await withDiscardingTaskGroup { group in
            var sequence = 0
            await runPeriodically(every: period, until: { stop.isSet }) {
                // At the cap the request is skipped, not queued: the load stays bounded.
                if self.gate.isOpen, inFlight.value < self.maxInFlight {
                    // Counted first, then the gate looked at again: a close
                    // that saw nothing in flight also sees this one undone.
                    inFlight.add(1)
                    guard self.gate.isOpen else { return inFlight.add(-1) }
                    sequence += 1
                    let number = sequence
                    group.addTask {
                        await self.one(number, firstError: firstError)
                        inFlight.add(-1)
                    }
                }
            }
        }
    }

    private func one(_ number: Int, firstError: FirstFlag) async {
        let isWrite = !self.isOverload && number % 5 == 0
        let isPoison = !isWrite && number % 10 == 3 && self.poisonID != nil
        let exchange: Exchange
        if self.isOverload {
            exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + Overload.path, timeoutMs: self.clientTimeoutMs)
        } else if isPoison, let id = self.poisonID {
            exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + "/api/items/\(id)", timeoutMs: self.clientTimeoutMs)
        } else if isWrite {
            let name = "demo-\(self.label)-\(number)"
            exchange = await Exchange.perform(
                self.client, .POST, self.gatewayURL + "/api/items", json: #"{"name":"\#(name)"}"#,
                headers: [("Idempotency-Key", UUID().uuidString)], timeoutMs: self.clientTimeoutMs
            )
        } else if number % 2 == 0, let id = self.seedIDs.randomElement() {
            exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + "/api/items/\(id)", timeoutMs: self.clientTimeoutMs)
        } else {
            exchange = await Exchange.perform(self.client, .GET, self.gatewayURL + "/api/data", timeoutMs: self.clientTimeoutMs)
        }
        var sample = LoadRecorder.Sample(
            atMs: self.timeline.offset() - Int(exchange.latencyMs), isWrite: isWrite, status: exchange.status, latencyMs: exchange.latencyMs,
            isPoison: isPoison
        )
        sample.hasRetryAfter = exchange.retryAfter != nil
        sample.isOverload = self.isOverload
        if !sample.ok {
            sample.cause = ErrorCause.of(exchange)
            sample.gatewayMs = ErrorCause.gatewayDurationMs(exchange.serverTiming)
            let got = exchange.status.map { "HTTP \($0), Server-Timing: \(exchange.serverTiming ?? "none")" } ?? (exchange.error ?? "no answer")
            sample.answer = "\(isWrite ? "write" : "read") after \(Int(exchange.latencyMs)) ms: \(got)"
        }
        self.recorder.record(sample)
        if isWrite, sample.ok, let id = Self.itemID(exchange.body) {
            self.recorder.acknowledgeWrite(id: id)
        }
        if !sample.ok, !self.isOverload, firstError.set() {
            let what = exchange.status.map { "HTTP \($0)" } ?? "transport error"
            self.timeline.record(.firstClientError, "first client error: \(isWrite ? "write" : "read") got \(what) after \(Int(exchange.latencyMs)) ms")
        }
    }

    static func itemID(_ body: Data) -> Int? {
        struct Created: Decodable { var id: Int }
        return try? JSONDecoder().decode(Created.self, from: body).id
    }
}

/// Set once: `set()` is true only for the first caller.
final class FirstFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() -> Bool { self.flag.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged }
    var isSet: Bool { self.flag.load(ordering: .relaxed) }
}

/// A shared count.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ delta: Int) { self.count.add(delta, ordering: .sequentiallyConsistent) }
    var value: Int { self.count.load(ordering: .sequentiallyConsistent) }
}
