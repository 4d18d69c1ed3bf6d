#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Why a client-visible error happened, read from the answer itself: the
/// gateway's attempt chain (the `gateway;desc="<cause>"` entry of its
/// `Server-Timing`, see docs/architecture.md) and, for an upstream's own
/// answer, data-api's problem title. An error that fits none is unattributed
/// and fails the scenario.
enum ErrorCause: String, Codable, CaseIterable, Sendable {
    case noHealthyUpstream = "no healthy upstream"
    case breakerOpen = "breaker open"
    case retryBudget = "retry budget spent"
    case deadline = "deadline passed"
    case badGateway = "upstream failed to answer"
    case dependencyDown = "dependency down"
    case injectedFault = "injected fault"
    case replicaStarting = "replica starting"
    case gatewayUnreachable = "gateway unreachable"
    case loadShed = "load shed"

    /// The cause of a failed exchange, or `nil` when the answer does not say.
    static func of(_ exchange: Exchange) -> ErrorCause? {
        guard exchange.status != nil else {
            // No answer: a refused, reset or closed connection means no
            // gateway listened or it died mid-answer; a client timeout is the
            // gateway's deadline broken.
            return exchange.failure == .unreachable ? .gatewayUnreachable : nil
        }
        switch Self.gatewayCause(exchange.serverTiming) {
        case "upstream": return Self.upstreamCause(exchange.body)
        // The budget stopped the retries, but an answer that says why the
        // upstream failed (every replica shares PostgreSQL) names the cause.
        case "retry-budget": return Self.upstreamCause(exchange.body) ?? .retryBudget
        case "no-healthy-upstream": return .noHealthyUpstream
        case "breaker-open": return .breakerOpen
        case "deadline": return .deadline
        case "bad-gateway": return .badGateway
        case "load-shed": return .loadShed
        default: return nil
        }
    }

    /// The cause the gateway's `Server-Timing` names, e.g. `deadline` in
    /// `try;desc="10.0.0.5:8081 timeout";dur=2000.3, gateway;desc="deadline";dur=2001.0`.
    static func gatewayCause(_ serverTiming: String?) -> String? {
        guard let entry = Self.gatewayEntry(serverTiming), entry.hasPrefix("gateway;desc=\"") else { return nil }
        return String(entry.dropFirst("gateway;desc=\"".count).prefix { $0 != "\"" })
    }

    /// The gateway's own time on a request, e.g. 2001.0 in
    /// `try;desc="10.0.0.5:8081 timeout";dur=2000.3, gateway;desc="deadline";dur=2001.0`.
    static func gatewayDurationMs(_ serverTiming: String?) -> Double? {
        Self.gatewayEntry(serverTiming)?.split(separator: ";").first { $0.hasPrefix("dur=") }.flatMap { Double($0.dropFirst("dur=".count)) }
    }

    /// The gateway's own entry of its attempt chain: the last, `gateway;…`.
    private static func gatewayEntry(_ serverTiming: String?) -> Substring? {
        guard let entry = serverTiming?.split(separator: ",").last?.drop(while: { $0 == " " }), entry.hasPrefix("gateway;") else { return nil }
        return Substring(entry)
    }

    /// data-api's own error answers, by their problem title.
    private static func upstreamCause(_ body: Data) -> ErrorCause? {
        struct Problem: Decodable { var title: String? }
        switch (try? JSONDecoder().decode(Problem.self, from: body))?.title {
        case "Database unavailable": return .dependencyDown
        case "Injected fault": return .injectedFault
        case "Starting": return .replicaStarting
        default: return nil
        }
    }
}
