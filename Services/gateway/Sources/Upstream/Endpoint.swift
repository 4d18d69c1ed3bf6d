#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Shared
import Synchronization

/// One upstream endpoint (`http://host:port`) and everything the gateway
/// knows of it: active health (damped), its last health report, its circuit
/// breaker, passive ejection and requests in flight.
public final class Endpoint: Sendable {
    public let url: String
    /// The host (an address, or a name that did not resolve) and port to connect to.
    let host: String
    let port: Int
    /// `host:port` as a `Host` header names it.
    let authority: String

    /// `host:port` (`host` alone without a port), an IPv6 address in brackets.
    static func authority(host: String, port: Int?) -> String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(bracketed):\($0)" } ?? bracketed
    }
    /// The socket address when the host is an IP address (no resolution per connect).
    let socketAddress: SocketAddress?
    private let state: Mutex<State>

    struct State {
        var damper: FlapDamper
        var report: HealthReport?
        var latencyMilliseconds: Double?
        var checkedAt: Date?
        var output: String? = "not checked yet"
        var breaker: CircuitBreaker
        var consecutiveFailures = 0
        var ejectedAt: ContinuousClock.Instant?
        var outstanding = 0
    }

    init(url: String, health: HealthMonitorConfiguration, breaker: CircuitBreaker.Configuration) {
        self.url = url
        let address = URL(string: url)
        self.host = address?.host?.trimming { $0 == "[" || $0 == "]" } ?? "127.0.0.1"
        self.port = address?.port ?? 80
        self.authority = String(url.dropFirst("http://".count))
        self.socketAddress = try? SocketAddress(ipAddress: self.host, port: self.port)
        self.state = Mutex(
            State(damper: FlapDamper(failureThreshold: health.failureThreshold, successThreshold: health.successThreshold), breaker: CircuitBreaker(breaker))
        )
    }

    /// A copy of the state for reports and choices.
    public struct Snapshot: Sendable {
        public var url: String
        public var healthy: Bool
        public var ejected: Bool
        public var breaker: CircuitBreaker.State
        public var report: HealthReport?
        public var latencyMilliseconds: Double?
        public var checkedAt: Date?
        public var output: String?
        public var outstanding: Int

        /// Healthy, not ejected and its breaker not open.
        public var available: Bool { self.healthy && !self.ejected && self.breaker != .open }
    }

    public var snapshot: Snapshot {
        self.state.withLock { state in
            Snapshot(
                url: self.url, healthy: state.damper.isHealthy, ejected: state.ejectedAt != nil, breaker: state.breaker.reportedState(now: .now),
                report: state.report, latencyMilliseconds: state.latencyMilliseconds, checkedAt: state.checkedAt,
                output: state.output, outstanding: state.outstanding
            )
        }
    }

    /// Healthy, not ejected, and its breaker admits a call now. Unlike
    /// ``Snapshot/available``, an open breaker whose wait is over counts: it
    /// must be offered traffic to half-open, or it would stay open for as
    /// long as another endpoint carries the load.
    func isAvailable(now: ContinuousClock.Instant) -> Bool {
        self.state.withLock { $0.damper.isHealthy && $0.ejectedAt == nil && $0.breaker.admits(now: now) }
    }

    /// Whether the gateway should send a probe of its own: the endpoint passes
    /// its active checks and is not ejected, but its breaker is not closed and
    /// admits a call now. Without it, a breaker that opened stays open for as
    /// long as no client sends it traffic.
    func wantsBreakerProbe(now: ContinuousClock.Instant) -> Bool {
        self.state.withLock { $0.damper.isHealthy && $0.ejectedAt == nil && $0.breaker.state != .closed && $0.breaker.admits(now: now) }
    }

    /// Reserves a call if the breaker allows it (a half-open probe slot included).
    func tryAcquire(now: ContinuousClock.Instant) -> Bool {
        self.state.withLock { state in
            guard state.breaker.tryAcquire(now: now) else { return false }
            state.outstanding += 1
            return true
        }
    }

    /// What one call's outcome changed.
    struct CallEffect: Equatable {
        var breakerChanged: CircuitBreaker.State?
        var ejected: Bool
    }

    /// Records a call's outcome: breaker, consecutive failures, ejection.
    ///
    /// Only an endpoint that passes its active checks is ejected, or has its
    /// breaker opened: one that fails them is out of rotation already, and
    /// gets calls only in panic mode (no endpoint healthy), which are
    /// expected to fail; ejecting it or opening its breaker for them would
    /// keep it out for the ejection time or the breaker's wait after it
    /// recovered. Such a failure frees the breaker's probe slot and counts
    /// nothing.
    func recordCall(success: Bool, now: ContinuousClock.Instant, ejectAfter: Int) -> CallEffect {
        self.state.withLock { state in
            state.outstanding -= 1
            let before = state.breaker.state
            if success || state.damper.isHealthy {
                state.breaker.record(success: success, now: now)
            } else {
                state.breaker.release()
            }
            state.consecutiveFailures = success ? 0 : state.consecutiveFailures + 1
            var ejected = false
            if !success, state.damper.isHealthy, state.ejectedAt == nil, state.consecutiveFailures >= ejectAfter {
                state.ejectedAt = now
                ejected = true
            }
            return CallEffect(breakerChanged: before == state.breaker.state ? nil : state.breaker.state, ejected: ejected)
        }
    }

    /// Ends a call without judging the endpoint by it (its client left, or
    /// the request failed alike on every endpoint): frees what
    /// ``tryAcquire(now:)`` reserved and counts nothing.
    func abandonCall() {
        self.state.withLock { state in
            state.outstanding -= 1
            state.breaker.release()
        }
    }

    /// Records an active health check. An ejected endpoint returns once a
    /// check passes after `ejectionDuration`. Returns `true` when it returned.
    /// An endpoint that turns healthy starts with no consecutive failures:
    /// those of its failing time are explained by it.
    func recordCheck(
        success: Bool, report: HealthReport?, latencyMilliseconds: Double?, output: String?, now: ContinuousClock.Instant, ejectionDuration: Duration
    ) -> (healthChanged: Bool, returned: Bool) {
        self.state.withLock { state in
            let changed = state.damper.record(success: success)
            if changed, state.damper.isHealthy { state.consecutiveFailures = 0 }
            state.report = report ?? state.report
            if !success, report == nil { state.report = nil }
            state.latencyMilliseconds = latencyMilliseconds
            state.checkedAt = Date()
            state.output = output
            var returned = false
            if success, let ejectedAt = state.ejectedAt, now >= ejectedAt + ejectionDuration {
                state.ejectedAt = nil
                state.consecutiveFailures = 0
                returned = true
            }
            return (changed, returned)
        }
    }
}
