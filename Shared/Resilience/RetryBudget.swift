/// A retry budget, as in Envoy's `retry_budget`: retries in flight may be at
/// most `percent` of the requests in flight, or `minimumConcurrency`,
/// whichever is larger. So a healthy system can always retry a little, and an
/// outage, where every request fails, can't turn into a retry storm.
///
/// Formula: a retry may start when `activeRetries < max(minimumConcurrency, ⌊percent · activeRequests⌋)`.
public struct RetryBudget: Sendable, Equatable {
    public var percent: Double
    public var minimumConcurrency: Int

    public init(percent: Double = 0.2, minimumConcurrency: Int = 3) {
        self.percent = percent
        self.minimumConcurrency = minimumConcurrency
    }

    /// The number of retries allowed in flight with `activeRequests` requests in flight.
    public func limit(activeRequests: Int) -> Int {
        max(self.minimumConcurrency, Int((self.percent * Double(activeRequests)).rounded(.down)))
    }

    public func allowsRetry(activeRequests: Int, activeRetries: Int) -> Bool {
        activeRetries < self.limit(activeRequests: activeRequests)
    }
}
