import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Shared
import Synchronization

/// Forwards `/api/*` to an upstream endpoint with an overall deadline,
/// per-try timeouts, retries (backoff with full jitter, a retry budget, a
/// different endpoint each time when one exists), circuit breakers and
/// passive ejection. Response bodies stream back; request bodies up to
/// `retryBufferLimit` are buffered so they can be retried, larger ones stream
/// and are sent once.
struct Proxy: Sendable {
    let endpoints: EndpointSet
    let client: HTTPClient
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    let counters = Counters()

    final class Counters: Sendable {
        let activeRequests = Atomic<Int>(0)
        let activeRetries = Atomic<Int>(0)
    }

    func forward(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let deadline = started + self.configuration.deadline
        let length = request.headers[.contentLength].flatMap(Int.init)
        if let length, length > self.configuration.maxBodySize {
            throw ProblemDetails(.contentTooLarge, detail: "The request body is over the \(self.configuration.maxBodySize)-byte limit.")
        }
        let idempotent = RetryPolicy.isIdempotent(request.method, headers: request.headers)
        let body = try await self.outboundBody(request, length: length)
        let canResend = body.replayable

        self.counters.activeRequests.add(1, ordering: .relaxed)
        defer { self.counters.activeRequests.subtract(1, ordering: .relaxed) }

        var tried: Set<String> = []
        var backoff = Backoff(base: self.configuration.backoffBase, cap: self.configuration.backoffCap)
        var lastFailure: ProxyError.Failure?
        var attempt = 0
        while attempt < self.configuration.maxAttempts {
            let remaining = deadline - .now
            guard remaining > .zero else { throw Self.deadlinePassed }
            guard let (endpoint, _) = self.endpoints.pick(excluding: tried, now: .now) else {
                throw Self.noHealthyUpstream
            }
            tried.insert(endpoint.url)
            attempt += 1
            let isRetry = attempt > 1
            if isRetry { self.counters.activeRetries.add(1, ordering: .relaxed) }
            defer { if isRetry { self.counters.activeRetries.subtract(1, ordering: .relaxed) } }

            let upstreamRequest = self.upstreamRequest(request, context: context, endpoint: endpoint, body: body.clientBody)
            do {
                // AsyncHTTPClient's deadline bounds the wait for the response
                // head (it is cancelled once the head arrives): exactly a
                // per-try timeout, with no extra task per request.
                let tryTimeout = min(self.configuration.perTryTimeout, remaining)
                let response = try await self.client.execute(upstreamRequest, deadline: .now() + tryTimeout.timeAmount)
                let code = Int(response.status.code)
                self.record(endpoint, success: code < 500, outcome: String(code))
                let retryAfter = RetryPolicy.retryAfter(response.headers.first(name: "Retry-After"))
                if RetryPolicy.isRetryableStatus(code), idempotent, canResend, attempt < self.configuration.maxAttempts,
                    let delay = self.retryDelay(&backoff, retryAfter: retryAfter, deadline: deadline), self.budgetAllowsRetry()
                {
                    // Read and drop this answer's body, then try again.
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    try await self.wait(delay)
                    continue
                }
                return self.response(response)
            } catch let error where !(error is CancellationError) {
                let failure = ProxyError.classify(error)
                lastFailure = failure
                self.record(endpoint, success: false, outcome: failure.rawValue)
                let retryable = canResend && (failure == .connect || idempotent)
                guard retryable, attempt < self.configuration.maxAttempts,
                    let delay = self.retryDelay(&backoff, retryAfter: nil, deadline: deadline), self.budgetAllowsRetry()
                else { break }
                try await self.wait(delay)
            }
        }
        switch lastFailure {
        case .timeout?: throw Self.deadlinePassed
        case .connect?: throw Self.noHealthyUpstream
        default: throw ProblemDetails(.badGateway, detail: "The upstream service failed to answer.")
        }
    }

    // MARK: retries

    /// The delay before the next try, or `nil` when it would end past the deadline.
    private func retryDelay(_ backoff: inout Backoff, retryAfter: Duration?, deadline: ContinuousClock.Instant) -> Duration? {
        let delay = max(backoff.next(), retryAfter ?? .zero)
        return ContinuousClock.now + delay < deadline ? delay : nil
    }

    /// Whether the retry budget lets one more retry start; counts the outcome.
    private func budgetAllowsRetry() -> Bool {
        let active = self.counters.activeRequests.load(ordering: .relaxed)
        let retries = self.counters.activeRetries.load(ordering: .relaxed)
        guard self.configuration.retryBudget.allowsRetry(activeRequests: active, activeRetries: retries) else {
            self.metrics.retryBudgetExhausted()
            return false
        }
        self.metrics.retry()
        return true
    }

    private func wait(_ delay: Duration) async throws {
        if delay > .zero { try await Task.sleep(for: delay) }
    }

    private func record(_ endpoint: Endpoint, success: Bool, outcome: String) {
        let effect = endpoint.recordCall(success: success, now: .now, ejectAfter: self.configuration.ejectAfterFailures)
        self.metrics.attempt(endpoint.url, outcome: outcome)
        if let state = effect.breakerChanged { self.metrics.breaker(endpoint.url, state: state) }
        if effect.ejected { self.metrics.ejection(endpoint.url) }
    }

    // MARK: requests and responses

    struct OutboundBody: Sendable {
        var clientBody: HTTPClientRequest.Body?
        /// `false` for a streamed body: it can be sent only once.
        var replayable: Bool
    }

    /// Bodies up to `retryBufferLimit` (chunked ones included) are read whole
    /// before any upstream is called: they can be retried, and one that breaks
    /// off or turns out malformed (the edge answers `400`) reaches no upstream.
    /// A larger one streams, starting with what was read.
    private func outboundBody(_ request: Request, length: Int?) async throws -> OutboundBody {
        let hasBody = (length ?? 0) > 0 || request.headers[.transferEncoding] != nil
        guard hasBody else { return OutboundBody(clientBody: nil, replayable: true) }
        let knownLength = length.map { HTTPClientRequest.Body.Length.known(Int64($0)) } ?? .unknown
        let source = StreamedBody.Source(request.body.makeAsyncIterator())
        var buffer = ByteBuffer()
        if (length ?? 0) <= self.configuration.retryBufferLimit {
            while let chunk = try await source.iterator.next() {
                buffer.writeImmutableBuffer(chunk)
                guard buffer.readableBytes <= self.configuration.retryBufferLimit else {
                    let body = StreamedBody(prefix: buffer, source: source, limit: self.configuration.maxBodySize)
                    return OutboundBody(clientBody: .stream(body, length: knownLength), replayable: false)
                }
            }
            return OutboundBody(clientBody: .bytes(buffer), replayable: true)
        }
        let body = StreamedBody(prefix: buffer, source: source, limit: self.configuration.maxBodySize)
        return OutboundBody(clientBody: .stream(body, length: knownLength), replayable: false)
    }

    private func upstreamRequest(_ request: Request, context: GatewayRequestContext, endpoint: Endpoint, body: HTTPClientRequest.Body?) -> HTTPClientRequest {
        var upstream = HTTPClientRequest(url: endpoint.url + (request.head.path ?? "/"))
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        let fields = ProxyHeaders.upstreamRequest(request.headers, authority: request.head.authority, clientAddress: context.clientAddress, newTraceparent: ProxyHeaders.newTraceparent)
        for field in fields { upstream.headers.add(name: field.name.rawName, value: field.value) }
        upstream.body = body
        return upstream
    }

    private func response(_ upstream: HTTPClientResponse) -> Response {
        var fields = HTTPFields()
        for header in upstream.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        fields = ProxyHeaders.endToEnd(fields)
        let length = fields[.contentLength].flatMap(Int.init)
        let body = upstream.body
        return Response(
            status: HTTPResponse.Status(code: Int(upstream.status.code)),
            headers: fields,
            body: ResponseBody(contentLength: length) { writer in
                for try await chunk in body { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }

    // MARK: problems

    static let noHealthyUpstream = ProblemDetails(
        .serviceUnavailable, title: "No healthy upstream", detail: "No upstream endpoint can take the request now; retry later.", retryAfterSeconds: 1
    )
    static let deadlinePassed = ProblemDetails(.gatewayTimeout, detail: "The upstream did not answer before the gateway's deadline.")
}
