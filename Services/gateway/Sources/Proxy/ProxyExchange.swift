import NIOCore
import NIOHTTP1
import Shared

/// One proxied request, from its head to its response's end, on the client
/// connection's event loop: no lock, no task, no continuation. Its timeouts
/// and backoffs run on the client connection's timer (``ProxyHandler``), an
/// event-loop callback.
///
/// - Bodies up to `RETRY_BUFFER_LIMIT_BYTES` (chunked ones included) are read
///   whole before any upstream is called, so they can be retried, and a body
///   that breaks off or turns out malformed reaches no upstream. A larger one
///   streams, starting with what was read, and is sent once.
/// - Each try picks an endpoint not tried yet (``EndpointSet/pick(excluding:now:)``),
///   takes an idle connection from this loop's ``UpstreamPool`` or opens one,
///   and waits for the response head at most the per-try timeout (capped by
///   the overall deadline). A timed-out connection is closed, never pooled.
/// - Retries follow ``RetryPolicy``, with full-jitter backoff (or a longer
///   `Retry-After`), within the deadline and the retry budget.
/// - Once the head is passed on, the body streams with back-pressure both
///   ways; the per-try timeout then bounds each wait for more of it.
final class ProxyExchange {
    /// The interim answer to `Expect: 100-continue`.
    private static let continueHead = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")
    /// The end of a chunked body: the last chunk and an empty trailer section.
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    private enum Phase {
        /// Reading a body that must be whole before the first try.
        case receiving
        case connecting
        case awaitingHead
        /// The response head went to the client; its body is streaming.
        case responding
        case backingOff
        case finished
    }

    private let engine: ProxyEngine
    private let loop: ProxyLoop
    private var client: ProxyHandler?
    private let eventLoop: any EventLoop
    private let head: HTTPRequestHead
    private let clientAddress: String?
    private let requestID: String
    private let started: NIODeadline
    private let deadline: NIODeadline
    private let idempotent: Bool
    /// The client's connection closes after the answer.
    private var closesClient: Bool
    /// TRACE goes without content, which it must not carry (RFC 9110 §9.3.8).
    private let dropsBody: Bool

    private var phase = Phase.receiving
    private var body = ByteBuffer()
    private var bodyBytes = 0
    /// The client's request has ended (every part arrived).
    private var requestEnded = false
    /// The body is over the retry buffer: it streams and goes once.
    private var streaming = false
    /// Shed before its end arrived: answered at the end, so the connection stays open.
    private var shedAtEnd = false
    /// The client's `Content-Length`, if it sent one.
    private var announcedLength: Int?
    /// The body goes upstream in chunks (its length is not known yet).
    private var chunksUpstream = false

    private var attempts = 0
    /// The endpoints tried, the first apart: most requests make one try, and
    /// it costs no array.
    private var firstTried: Endpoint?
    private var laterTried: [Endpoint] = []
    private var backoff: Backoff
    private var countsAsRetry = false
    private var endpoint: Endpoint?
    private var connection: UpstreamConnection?
    /// When the upstream last sent part of the response.
    private var lastUpstreamRead: NIODeadline
    private var status = 0
    /// The response head waits in the loop's head buffer for the body part
    /// that comes in the same read, to go out with it in one write.
    private var headPending = false
    /// A body part up to this size joins the head; a larger one goes on its
    /// own (a vector write copies nothing).
    private static let bodyJoiningHead = 4096
    private var upstreamKeepAlive = true
    /// Each try's endpoint, outcome and time, for the `Server-Timing` header.
    private var chain = AttemptChain()
    private var tryStarted: NIODeadline
    /// A retry was due and the retry budget refused it.
    private var retryRefusedByBudget = false
    /// The endpoints of this request's latest tries, all answered `500`, not
    /// yet counted against them: see ``settleServerErrors(requestFault:)``.
    private var serverErrors: [Endpoint] = []

    init(head: HTTPRequestHead, client: ProxyHandler, clientAddress: String?, engine: ProxyEngine, loop: ProxyLoop, eventLoop: any EventLoop) {
        self.head = head
        self.client = client
        self.clientAddress = clientAddress
        self.engine = engine
        self.loop = loop
        self.eventLoop = eventLoop
        // One clock read for the three: a try and its wait start later.
        self.started = NIODeadline.now()
        self.lastUpstreamRead = self.started
        self.tryStarted = self.started
        self.requestID = RequestID.valid(head.headers.first(name: "x-request-id")) ?? RequestID.make(using: &loop.random)
        self.deadline = self.started + engine.configuration.deadline.timeAmount
        self.idempotent = RetryPolicy.isIdempotent(head.method, headers: head.headers)
        self.closesClient = !head.isKeepAlive
        self.dropsBody = head.method == .TRACE
        self.backoff = Backoff(base: engine.configuration.backoffBase, cap: engine.configuration.backoffCap)
    }

    // MARK: the client's side

    /// The head arrived: shed it when `MAX_IN_FLIGHT_REQUESTS` are in flight
    /// already, refuse an announced body over the limit, or start the first
    /// try when the body is too large to wait for.
    ///
    /// A shed request without a body is answered at its end (the part that
    /// follows its head at once), so its connection is kept for the client's
    /// next request; one with a body is answered now and its connection closed.
    func begin() {
        let active = self.engine.counters.activeRequests.add(1, ordering: .relaxed).newValue
        let length = self.head.headers.first(name: "content-length").flatMap(Int.init)
        self.announcedLength = length
        if active > self.engine.configuration.maxInFlight {
            self.engine.metrics.loadShed()
            guard (length ?? 0) == 0, !self.head.headers.contains(name: "transfer-encoding") else {
                return self.answer(ProxyProblem.overloaded, cause: .loadShed)
            }
            self.shedAtEnd = true
            return
        }
        if let length, length > self.engine.configuration.maxBodySize {
            return self.answer(ProxyProblem.tooLarge(self.engine.configuration.maxBodySize), cause: .tooLarge)
        }
        // The body is read before the first try (or streamed once connected):
        // the client may send it now.
        if ProxyHeaders.expectsContinue(self.head), (length ?? 0) > 0 || self.head.headers.contains(name: "transfer-encoding") {
            self.client?.writeInterim(Self.continueHead)
        }
        if let length, length > self.engine.configuration.retryBufferLimit, !self.dropsBody {
            self.streaming = true
            self.startAttempt()
        }
    }

    func clientRead(_ part: HTTPServerRequestPart) {
        guard self.phase != .finished else { return }
        switch part {
        case .head:
            break
        case .body(let buffer):
            self.bodyBytes += buffer.readableBytes
            guard self.bodyBytes <= self.engine.configuration.maxBodySize else {
                return self.answer(ProxyProblem.tooLarge(self.engine.configuration.maxBodySize), cause: .tooLarge)
            }
            guard !self.dropsBody else { return }
            if self.streaming, let connection = self.connection, self.phase == .awaitingHead || self.phase == .responding {
                self.sendBody(buffer, on: connection)
                if !connection.isWritable { self.client?.holdReads(true) }
                return
            }
            self.body.writeImmutableBuffer(buffer)
            if self.streaming {
                // Not connected yet: hold what comes until it can be sent.
                self.client?.holdReads(true)
            } else if self.body.readableBytes > self.engine.configuration.retryBufferLimit {
                self.streaming = true
                self.client?.holdReads(true)
                self.startAttempt()
            }
        case .end:
            self.requestEnded = true
            if self.shedAtEnd {
                self.answer(ProxyProblem.overloaded, cause: .loadShed)
            } else if self.phase == .receiving {
                self.startAttempt()
            } else if self.streaming, let connection = self.connection, self.phase == .awaitingHead || self.phase == .responding {
                self.endBody(on: connection)
                connection.flush()
            }
        }
    }

    func clientReadComplete() {
        if self.streaming, self.phase == .awaitingHead || self.phase == .responding { self.connection?.flush() }
    }

    func clientWritabilityChanged(_ writable: Bool) {
        if self.phase == .responding { self.connection?.setReading(writable) }
    }

    /// The client left: the exchange ends without an answer.
    func clientClosed() {
        guard self.phase != .finished else { return }
        if self.phase == .connecting || self.phase == .awaitingHead { self.endpoint?.abandonCall() }
        self.connection?.close()
        self.connection = nil
        self.client = nil
        self.finish(status: nil)
    }

    // MARK: tries

    private func startAttempt() {
        self.cancelTimer()
        let now = NIODeadline.now()
        guard now < self.deadline else { return self.answer(ProxyProblem.deadlinePassed, cause: .deadline) }
        guard let (endpoint, _) = self.engine.endpoints.pick(excluding: self.wasTried, now: .now) else {
            self.engine.logger.debug("no upstream endpoint to try", metadata: ["attempt": "\(self.attempts + 1)", "requestId": "\(self.requestID)"])
            // pick() passes over an untried endpoint only when its breaker refuses the call.
            let untried = self.engine.endpoints.all.contains { !self.wasTried($0) }
            return self.answer(ProxyProblem.noHealthyUpstream, cause: untried ? .breakerOpen : .noHealthyUpstream)
        }
        if self.firstTried == nil { self.firstTried = endpoint } else { self.laterTried.append(endpoint) }
        self.tryStarted = now
        self.attempts += 1
        if self.attempts > 1, !self.countsAsRetry {
            self.countsAsRetry = true
            self.engine.counters.activeRetries.add(1, ordering: .relaxed)
        }
        self.endpoint = endpoint
        self.schedule(at: min(now + self.engine.configuration.perTryTimeout.timeAmount, self.deadline))
        if let connection = self.loop.pool.take(endpoint) {
            return self.send(on: connection)
        }
        self.phase = .connecting
        let attempt = self.attempts
        UpstreamConnection.connect(
            endpoint, pool: self.loop.pool, on: self.eventLoop, timeout: self.engine.configuration.connectTimeout.timeAmount
        ).assumeIsolated().whenComplete { result in
            guard self.phase == .connecting, self.attempts == attempt else {
                // This try ended (timed out, or the client left): keep the connection for another.
                if case .success(let connection) = result { self.loop.pool.put(connection) }
                return
            }
            switch result {
            case .success(let connection): self.send(on: connection)
            case .failure(let error): self.tryFailed(.connect, anyMethod: true, error: error)
            }
        }
    }

    private func wasTried(_ endpoint: Endpoint) -> Bool {
        self.firstTried === endpoint || self.laterTried.contains { $0 === endpoint }
    }

    private func send(on connection: UpstreamConnection) {
        self.connection = connection
        self.phase = .awaitingHead
        connection.lease(to: self, toHEAD: self.head.method == .HEAD)
        connection.write(self.loop.head { self.writeUpstreamHead(into: &$0) })
        if self.body.readableBytes > 0 {
            self.sendBody(self.body, on: connection)
            // A streamed body goes once: what was held is sent and let go.
            if self.streaming { self.body = ByteBuffer() }
        }
        if self.requestEnded { self.endBody(on: connection) }
        connection.flush()
        if self.streaming, !self.requestEnded { self.client?.holdReads(!connection.isWritable) }
    }

    private func sendBody(_ bytes: ByteBuffer, on connection: UpstreamConnection) {
        guard self.chunksUpstream else { return connection.write(bytes) }
        var chunk = ByteBufferAllocator().buffer(capacity: bytes.readableBytes + 20)
        chunk.writeHTTP1Chunk(bytes)
        connection.write(chunk)
    }

    private func endBody(on connection: UpstreamConnection) {
        if self.chunksUpstream { connection.write(Self.lastChunk) }
    }

    /// Writes the client's head as the upstream gets it (``ProxyHeaders``),
    /// with the body framed as it will be sent: its length when it is known,
    /// chunks otherwise. Made for each try (each endpoint has its own `Host`).
    private func writeUpstreamHead(into buffer: inout ByteBuffer) {
        let framing: ProxyHeaders.BodyFraming
        if self.dropsBody {
            framing = .none
        } else if self.requestEnded {
            let announced = self.announcedLength != nil || self.head.headers.contains(name: "transfer-encoding")
            framing = announced || self.bodyBytes > 0 ? .length(self.bodyBytes) : .none
        } else if let length = self.announcedLength {
            framing = .length(length)
        } else {
            framing = .chunked
        }
        self.chunksUpstream = framing == .chunked
        ProxyHeaders.writeUpstreamRequest(
            self.head, framing: framing, upstreamHost: self.endpoint?.authority ?? "", clientAddress: self.clientAddress,
            requestID: self.requestID, writeNewTraceparent: { ProxyHeaders.writeNewTraceparent(using: &self.loop.random, into: &$0) }, into: &buffer
        )
    }

    /// The try failed before a response head: try again where that is safe
    /// (``RetryPolicy``), or answer the client.
    private func tryFailed(_ failure: ProxyError.Failure, anyMethod: Bool, error: (any Error)? = nil) {
        self.engine.logger.debug(
            "upstream try failed",
            metadata: [
                "endpoint": "\(self.endpoint?.url ?? "-")", "failure": "\(failure.rawValue)", "attempt": "\(self.attempts)",
                "error": "\(error.map { String(describing: $0) } ?? "-")", "requestId": "\(self.requestID)",
            ]
        )
        self.connection?.close()
        self.connection = nil
        self.record(success: false, outcome: .failure(failure), now: .now())
        let retryable = !self.streaming && (anyMethod || self.idempotent)
        if retryable, self.attempts < self.engine.configuration.maxAttempts, let delay = self.retryDelay(retryAfter: nil), self.budgetAllowsRetry() {
            return self.retry(after: delay)
        }
        switch failure {
        case .timeout: self.answer(ProxyProblem.deadlinePassed, cause: .deadline)
        case .connect: self.answer(ProxyProblem.noHealthyUpstream, cause: .noHealthyUpstream)
        case .reset: self.answer(ProxyProblem.badGateway, cause: .badGateway)
        }
    }

    /// The retry budget's verdict on a retry that is otherwise due; a
    /// refusal is remembered as the answer's cause.
    private func budgetAllowsRetry() -> Bool {
        let allowed = self.engine.budgetAllowsRetry()
        if !allowed { self.retryRefusedByBudget = true }
        return allowed
    }

    /// The delay before the next try, or `nil` when it would end past the deadline.
    private func retryDelay(retryAfter: Duration?) -> TimeAmount? {
        let delay = max(self.backoff.next(using: &self.loop.random), retryAfter ?? .zero).timeAmount
        return NIODeadline.now() + delay < self.deadline ? delay : nil
    }

    private func retry(after delay: TimeAmount) {
        self.phase = .backingOff
        if delay <= .zero { return self.startAttempt() }
        self.schedule(at: .now() + delay)
    }

    /// Ends the current try: its attempt-chain entry and metric, and its
    /// outcome for the endpoint's breaker and ejection. A `500` waits for the
    /// next other outcome or the exchange's end (``settleServerErrors(requestFault:)``);
    /// any other outcome first settles the `500`s before it, in order.
    private func record(success: Bool, outcome: TryOutcome, now: NIODeadline) {
        guard let endpoint = self.endpoint else { return }
        self.endpoint = nil
        self.chain.addTry(authority: endpoint.authority, outcome: outcome, duration: now - self.tryStarted)
        self.loop.countAttempt(endpoint: endpoint, outcome: outcome)
        if outcome == .status(500) { return self.serverErrors.append(endpoint) }
        if !self.serverErrors.isEmpty { self.settleServerErrors(requestFault: false) }
        self.account(endpoint, success: success)
    }

    private func account(_ endpoint: Endpoint, success: Bool) {
        let effect = endpoint.recordCall(success: success, now: .now, ejectAfter: self.engine.configuration.ejectAfterFailures)
        if let state = effect.breakerChanged { self.engine.metrics.breaker(endpoint.url, state: state) }
        if effect.ejected { self.engine.metrics.ejection(endpoint.url) }
    }

    /// Counts the pending `500`s against their endpoints, once per endpoint
    /// (one request is one piece of evidence, however often it was retried
    /// there), unless the request itself is at fault: it ended with every
    /// latest try, on two endpoints or more, answered `500` (a poison
    /// request; the fault travels with it). A replica is judged by the
    /// failures the others do not share, so a request that fails everywhere
    /// opens no breaker and ejects no one.
    private func settleServerErrors(requestFault: Bool) {
        for (index, endpoint) in self.serverErrors.enumerated() {
            let repeated = self.serverErrors[..<index].contains { $0 === endpoint }
            if requestFault || repeated { endpoint.abandonCall() } else { self.account(endpoint, success: false) }
        }
        self.serverErrors.removeAll()
    }

    /// Two different endpoints or more among the pending `500`s.
    private var serverErrorsSpanEndpoints: Bool {
        self.serverErrors.contains { $0 !== self.serverErrors.first }
    }

    // MARK: the upstream's side

    func upstreamRead(_ event: UpstreamResponseParser.Event) {
        switch event {
        case .head(let head):
            guard self.phase == .awaitingHead else { return }
            self.cancelTimer()
            let now = NIODeadline.now()
            self.upstreamKeepAlive = head.keepAlive
            if RetryPolicy.isRetryableStatus(head.status), self.idempotent, !self.streaming, self.attempts < self.engine.configuration.maxAttempts,
                let delay = self.retryDelay(retryAfter: RetryPolicy.retryAfter(head.retryAfter)),
                self.budgetAllowsRetry()
            {
                self.record(success: head.status < 500, outcome: .status(head.status), now: now)
                // Its body is not wanted: the connection goes rather than draining it.
                self.connection?.close()
                self.connection = nil
                return self.retry(after: delay)
            }
            self.record(success: head.status < 500, outcome: .status(head.status), now: now)
            self.respond(head, now: now)
        case .body(let buffer):
            guard self.phase == .responding else { return }
            self.lastUpstreamRead = .now()
            if self.headPending, buffer.readableBytes <= Self.bodyJoiningHead {
                self.sendPendingHead(with: buffer)
            } else {
                self.sendPendingHead()
                self.client?.writeBody(buffer)
            }
            if let client = self.client, !client.isWritable { self.connection?.setReading(false) }
        case .end:
            guard self.phase == .responding else { return }
            self.sendPendingHead()
            self.client?.endResponse(closing: self.closesClient || !self.requestEnded)
            if let connection = self.connection {
                self.connection = nil
                if self.upstreamKeepAlive, self.requestEnded { connection.release() } else { connection.close() }
            }
            self.finish(status: self.status)
        }
    }

    /// The upstream's response could not be read; its connection closes next.
    func upstreamFailed(_ error: UpstreamResponseError) {
        self.engine.logger.debug(
            "upstream response unreadable",
            metadata: ["endpoint": "\(self.endpoint?.url ?? "-")", "error": "\(error.safeDescription)", "requestId": "\(self.requestID)"]
        )
    }

    func upstreamReadComplete() {
        guard self.phase == .responding else { return }
        self.sendPendingHead()
        self.client?.flush()
    }

    /// Writes the response head still waiting in the loop's head buffer, with `body` joined to it.
    private func sendPendingHead(with body: ByteBuffer? = nil) {
        guard self.headPending else { return }
        self.headPending = false
        self.client?.startResponse(self.loop.finishHead(appending: body))
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        if self.streaming, !self.requestEnded { self.client?.holdReads(!writable) }
    }

    /// The upstream connection closed before the exchange ended.
    func upstreamClosed(_ connection: UpstreamConnection) {
        guard connection === self.connection else { return }
        self.connection = nil
        switch self.phase {
        case .awaitingHead:
            // A reused connection that closed before any response byte most
            // likely met the upstream's keep-alive timeout: nothing was
            // processed, so any request may go again.
            self.tryFailed(.reset, anyMethod: connection.closedUnanswered)
        case .responding:
            self.abort()
        default:
            break
        }
    }

    /// Passes the response head on; its body follows as it comes.
    private func respond(_ upstream: UpstreamResponseHead, now: NIODeadline) {
        self.phase = .responding
        self.status = upstream.status
        var keepsChunks = true
        switch upstream.framing {
        case .chunked where (self.head.version.major, self.head.version.minor) < (1, 1):
            // An HTTP/1.0 client cannot read chunks: it gets the data, ended by the close.
            self.connection?.dechunk()
            keepsChunks = false
            self.closesClient = true
        case .untilClose:
            self.closesClient = true
        default:
            break
        }
        let closes = self.closesClient || !self.requestEnded
        let timing = self.chain.finish(cause: self.answerCause(.upstream), total: now - self.started)
        // Sent with the first body part of this read, or at its end (sendPendingHead).
        self.headPending = true
        self.loop.startHead { head in
            upstream.writeForClient(into: &head, keepsTransferEncoding: keepsChunks)
            head.writeHTTP1Field("X-Request-ID", self.requestID)
            if closes { head.writeHTTP1Field("Connection", "close") }
            head.writeHTTP1Field("Server-Timing", timing)
            head.writeStaticString("\r\n")
        }
        self.lastUpstreamRead = now
        self.schedule(at: now + self.engine.configuration.perTryTimeout.timeAmount)
    }

    // MARK: ends

    /// Answers with `problem` (when no response byte has gone out) and ends the exchange.
    private func answer(_ problem: ProblemDetails, cause: AttemptChain.Cause) {
        guard self.phase != .finished, self.phase != .responding else { return self.abort() }
        self.connection?.close()
        self.connection = nil
        let close = self.closesClient || !self.requestEnded
        let timing = self.chain.finish(cause: self.answerCause(cause), total: NIODeadline.now() - self.started)
        self.client?.writeProblem(problem, requestID: self.requestID, path: self.head.uri, close: close, serverTiming: timing)
        self.status = problem.status.code
        self.finish(status: self.status)
    }

    /// `cause`, unless a retry that would have been made was refused by the
    /// retry budget: then the budget decided the answer.
    private func answerCause(_ cause: AttemptChain.Cause) -> AttemptChain.Cause {
        self.retryRefusedByBudget ? .retryBudget : cause
    }

    /// Part of the response went out and the rest cannot follow: both connections close.
    private func abort() {
        // What the client was about to get goes first, so it sees where its answer broke off.
        self.sendPendingHead()
        self.connection?.close()
        self.connection = nil
        self.client?.closeConnection()
        self.finish(status: self.status == 0 ? ProxyProblem.badGateway.status.code : self.status)
    }

    private func finish(status: Int?) {
        guard self.phase != .finished else { return }
        self.phase = .finished
        self.cancelTimer()
        self.engine.counters.activeRequests.subtract(1, ordering: .relaxed)
        if self.countsAsRetry { self.engine.counters.activeRetries.subtract(1, ordering: .relaxed) }
        if !self.serverErrors.isEmpty { self.settleServerErrors(requestFault: status == 500 && self.serverErrorsSpanEndpoints) }
        if let status {
            let duration = Duration.nanoseconds((NIODeadline.now() - self.started).nanoseconds)
            self.loop.countRequest(method: self.head.method, status: status, duration: duration)
            self.engine.observe(status, duration)
        }
        let client = self.client
        self.client = nil
        client?.exchangeFinished()
    }

    // MARK: timer

    /// The client connection's timer calls ``expired()`` at `deadline`.
    private func schedule(at deadline: NIODeadline) {
        self.client?.wakeExchange(at: deadline)
    }

    private func cancelTimer() {
        self.client?.clearExchangeTimer()
    }

    /// The per-try timeout, the wait between response parts, or a backoff ran out.
    func expired() {
        switch self.phase {
        case .connecting, .awaitingHead:
            self.tryFailed(.timeout, anyMethod: false)
        case .responding:
            let limit = self.engine.configuration.perTryTimeout.timeAmount
            if NIODeadline.now() - self.lastUpstreamRead >= limit { self.abort() } else { self.schedule(at: self.lastUpstreamRead + limit) }
        case .backingOff:
            self.startAttempt()
        case .receiving, .finished:
            break
        }
    }
}
