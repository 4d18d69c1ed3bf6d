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

    /// The value so far, in one string: reserved at the first try, so the
    /// tries and the answer are written without allocating again.
    private var value = ""

    /// Appends one try's entry.
    mutating func addTry(authority: String, outcome: TryOutcome, duration: TimeAmount) {
        self.startEntry()
        self.value += "try;desc=\""
        self.value += authority
        self.value += " "
        self.value += outcome.label
        self.value += "\";dur="
        self.appendMilliseconds(duration)
    }

    /// The header value: every try, then the answer's cause and the time
    /// since the request's head arrived. It ends the chain: call it once.
    mutating func finish(cause: Cause, total: TimeAmount) -> String {
        self.startEntry()
        self.value += "gateway;desc=\""
        self.value += cause.rawValue
        self.value += "\";dur="
        self.appendMilliseconds(total)
        return self.value
    }

    private mutating func startEntry() {
        if self.value.isEmpty { self.value.reserveCapacity(128) } else { self.value += ", " }
    }

    /// Milliseconds with one decimal, as Server-Timing's `dur` takes them.
    private mutating func appendMilliseconds(_ amount: TimeAmount) {
        let tenths = max(0, amount.nanoseconds / 100_000)
        self.value += String(tenths / 10)
        self.value += "."
        self.value += String(tenths % 10)
    }
}
