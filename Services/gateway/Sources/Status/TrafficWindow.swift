#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Client traffic over the last minute, for the status page: requests,
/// server errors (5xx) and the 99th percentile of the response time, from
/// 60 one-second slots (a fixed amount of memory whatever the load).
///
/// The p99 is the upper bound of a latency bucket (buckets grow by 20 %
/// from 0.5 ms), so it is at most 20 % above the true value.
final class TrafficWindow: Sendable {
    /// What the window holds now.
    struct Summary: Codable, Equatable, Sendable {
        /// The seconds the figures cover: 60, or less in the first minute.
        var windowSeconds: Int
        var requests: Int
        var requestsPerSecond: Double
        var serverErrors: Int
        /// Server errors over requests (0 with no request).
        var errorRate: Double
        /// `nil` with no request.
        var p99Milliseconds: Double?
    }

    private struct Slot {
        var second = -1
        var requests = 0
        var errors = 0
        var latencies: [Int]
    }

    static let slots = 60
    /// Upper bounds of the latency buckets, in milliseconds (the last one catches all).
    static let bounds: [Double] = (0..<70).map { 0.5 * pow(1.2, Double($0)) } + [.infinity]

    private let started: ContinuousClock.Instant
    private let state: Mutex<[Slot]>

    init(now: ContinuousClock.Instant = .now) {
        self.started = now
        self.state = Mutex(Array(repeating: Slot(latencies: Array(repeating: 0, count: Self.bounds.count)), count: Self.slots))
    }

    /// Records one request's outcome.
    func record(status: Int, duration: Duration, now: ContinuousClock.Instant = .now) {
        let second = self.second(now)
        let milliseconds = duration.milliseconds
        let bucket = Self.bounds.firstIndex { milliseconds <= $0 } ?? Self.bounds.count - 1
        self.state.withLock { slots in
            let index = second % Self.slots
            if slots[index].second != second {
                slots[index] = Slot(second: second, latencies: Array(repeating: 0, count: Self.bounds.count))
            }
            slots[index].requests += 1
            if status >= 500 { slots[index].errors += 1 }
            slots[index].latencies[bucket] += 1
        }
    }

    /// The figures over the last minute (the current second included).
    func summary(now: ContinuousClock.Instant = .now) -> Summary {
        let second = self.second(now)
        let oldest = second - Self.slots + 1
        var requests = 0
        var errors = 0
        var latencies = Array(repeating: 0, count: Self.bounds.count)
        self.state.withLock { slots in
            for slot in slots where slot.second >= oldest && slot.second <= second {
                requests += slot.requests
                errors += slot.errors
                for index in latencies.indices { latencies[index] += slot.latencies[index] }
            }
        }
        let window = min(Self.slots, second + 1)
        var p99: Double?
        if requests > 0 {
            let rank = Int((Double(requests) * 0.99).rounded(.up))
            var seen = 0
            for (index, count) in latencies.enumerated() {
                seen += count
                if seen >= rank {
                    p99 = Self.bounds[index].isFinite ? (Self.bounds[index] * 1000).rounded() / 1000 : Self.bounds[index - 1]
                    break
                }
            }
        }
        return Summary(
            windowSeconds: window, requests: requests, requestsPerSecond: Double(requests) / Double(window), serverErrors: errors,
            errorRate: requests == 0 ? 0 : Double(errors) / Double(requests), p99Milliseconds: p99
        )
    }

    private func second(_ now: ContinuousClock.Instant) -> Int {
        max(0, Int((now - self.started).components.seconds))
    }
}

