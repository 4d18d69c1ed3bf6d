import NIOCore

/// The `Server-Timing` value of one proxied request, so every answer says
/// how it came about: one entry per upstream try,
/// `try;desc="<host:port> <outcome>";dur=<ms>` (outcome: the upstream's status,
/// or `connect`, `timeout`, `reset`), then one for the answer,
/// `gateway;desc="<cause>";dur=<ms since the head arrived>`.
///
/// Built on the exchange's event loop as the tries end; an answer with no
/// try carries the `gateway` entry alone.
struct AttemptChain {
    /// Why the client got the answer it got.
    enum Cause: String {
        /// The upstream's own answer, passed on.
        case upstream
        /// A retry was due and the retry budget refused it: the last try's
        /// outcome became the answer.
        case retryBudget = "retry-budget"
        /// No endpoint could take a try (none left untried, or none passing).
        case noHealthyUpstream = "no-healthy-upstream"
        /// Endpoints remained untried, but their circuit breakers were open.
        case breakerOpen = "breaker-open"
        /// The per-try timeout or the overall deadline passed.
        case deadline
        /// The upstream closed the connection without an answer.
        case badGateway = "bad-gateway"
        /// The body was over `MAX_BODY_BYTES`; no upstream was tried.
        case tooLarge = "too-large"
        /// `MAX_IN_FLIGHT_REQUESTS` were in flight: shed at once, no upstream tried.
        case loadShed = "load-shed"
    }

    private var entries = ""

    /// Appends one try's entry.
    mutating func addTry(authority: String, outcome: String, duration: TimeAmount) {
        if !self.entries.isEmpty { self.entries += ", " }
        self.entries += "try;desc=\"\(authority) \(outcome)\";dur=\(Self.milliseconds(duration))"
    }

    /// The header value: every try, then the answer's cause and the time
    /// since the request's head arrived.
    func value(cause: Cause, total: TimeAmount) -> String {
        let answer = "gateway;desc=\"\(cause.rawValue)\";dur=\(Self.milliseconds(total))"
        return self.entries.isEmpty ? answer : self.entries + ", " + answer
    }

    /// Milliseconds with one decimal, as Server-Timing's `dur` takes them.
    private static func milliseconds(_ amount: TimeAmount) -> String {
        let tenths = max(0, amount.nanoseconds / 100_000)
        return "\(tenths / 10).\(tenths % 10)"
    }
}
