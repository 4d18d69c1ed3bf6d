#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOHTTP1

/// Which requests and outcomes may be retried.
///
/// - A request may be retried when it is idempotent: GET, HEAD, OPTIONS, PUT,
///   DELETE, or POST with an `Idempotency-Key` (the upstream deduplicates it).
/// - A connect failure (nothing was sent) is retried for any such request.
/// - 500, 502, 503 and 504 answers, resets and per-try timeouts are retried
///   for idempotent requests, on another endpoint when there is one. A 500 is
///   most often one replica's transient fault (the `flaky-upstream` demo);
///   a deterministic one costs at most `RETRY_MAX_ATTEMPTS` tries, and the
///   retry budget keeps retries from multiplying an outage. 501 is never
///   retried (it will not change).
/// - A `Retry-After` longer than the time left makes the gateway give up and
///   pass the answer on.
enum RetryPolicy {
    static func isIdempotent(_ method: HTTPMethod, headers: HTTPHeaders) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE: true
        case .POST: headers.contains(name: "idempotency-key")
        default: false
        }
    }

    static func isRetryableStatus(_ code: Int) -> Bool {
        code == 500 || code == 502 || code == 503 || code == 504
    }

    /// `Retry-After` in seconds (the HTTP-date form is not used between our services).
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Int(value.trimmingWhitespace()), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}
