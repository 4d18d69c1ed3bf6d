import NIOCore
import NIOHTTP1
import Shared

/// Sits in each client connection's pipeline after the edge, before
/// Hummingbird: `/api/*` requests are proxied here (a ``ProxyExchange`` each),
/// every other request goes on to Hummingbird's router. Responses leave in
/// the order the requests came: a request that arrives while another is
/// answered waits, and reading stops until it can be taken. Proxied answers
/// go out as bytes through the ``EdgeGuard`` (past Hummingbird's encoder).
///
/// All state lives on the channel's event loop; no lock, no task.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Current {
        case none
        case proxy(ProxyExchange)
        /// A request passed to the router, until both it and its response have ended.
        case router(requestEnded: Bool, responseEnded: Bool)
    }

    private let engine: ProxyEngine
    private let edge: EdgeGuard
    private var context: ChannelHandlerContext?
    private var loop: ProxyLoop?
    private var clientAddress: String?
    private var current = Current.none
    /// Parts of requests that came while another was answered.
    private var waiting = CircularBuffer<HTTPServerRequestPart>()
    /// The exchange asked for no more of its body for now.
    private var exchangeHoldsReads = false
    /// A part went on to the router since the last read-complete passed on.
    /// Only then does read-complete go on too: Hummingbird's handlers have
    /// nothing to do with it otherwise (proxied traffic never reaches them).
    private var routerAwaitsReadComplete = false
    private var readPending = false
    /// The connection is closing: nothing more is read.
    private var closing = false
    /// The server is shutting down: the connection closes once the exchange
    /// in progress has answered.
    private var quiescing = false
    /// The exchanges' timeouts and backoffs, one after the other: one timer
    /// for the connection (``LazyTimer``), none scheduled or cancelled per request.
    private var exchangeTimer = LazyTimer()

    init(engine: ProxyEngine, edge: EdgeGuard) {
        self.engine = engine
        self.edge = edge
    }

    /// Whether the gateway proxies `uri` (already normalised by the edge).
    static func isProxied(_ uri: String) -> Bool {
        uri.utf8.count > 5 && uri.utf8.starts(with: "/api/".utf8)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.loop = self.engine.loop(context.eventLoop)
        self.clientAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.exchangeTimer.cancel()
        self.context = nil
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        let part = self.unwrapInboundIn(data)
        if !self.waiting.isEmpty {
            self.waiting.append(part)
        } else if case .head = part, !self.isIdle {
            self.waiting.append(part)
        } else {
            self.take(part, context: context)
        }
    }

    private var isIdle: Bool {
        if case .none = self.current { return true }
        return false
    }

    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, self.current) {
        case (.head(let head), _):
            if Self.isProxied(head.uri), let loop = self.loop {
                let exchange = ProxyExchange(
                    head: head, client: self, clientAddress: self.clientAddress, engine: self.engine, loop: loop, eventLoop: context.eventLoop
                )
                self.current = .proxy(exchange)
                exchange.begin()
            } else {
                self.current = .router(requestEnded: false, responseEnded: false)
                self.passOn(part, context: context)
            }
        case (_, .proxy(let exchange)):
            exchange.clientRead(part)
        case (.body, .router):
            self.passOn(part, context: context)
        case (.end, .router(_, let responseEnded)):
            self.current = .router(requestEnded: true, responseEnded: responseEnded)
            self.passOn(part, context: context)
            if responseEnded { self.next() }
        case (_, .none):
            // The rest of a request whose exchange has ended: it closes the connection.
            break
        }
    }

    private func passOn(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        self.routerAwaitsReadComplete = true
        context.fireChannelRead(self.wrapInboundOut(part))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxy(let exchange) = self.current { exchange.clientReadComplete() }
        if self.routerAwaitsReadComplete {
            self.routerAwaitsReadComplete = false
            context.fireChannelReadComplete()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxy(let exchange) = self.current { exchange.clientWritabilityChanged(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closing = true
        self.exchangeTimer.cancel()
        if case .proxy(let exchange) = self.current {
            self.current = .none
            exchange.clientClosed()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A parser error: the edge has answered it and closes the connection.
        if case .proxy(let exchange) = self.current {
            self.closing = true
            self.current = .none
            exchange.clientClosed()
        }
        context.fireErrorCaught(error)
    }

    /// On a graceful shutdown Hummingbird closes a connection it sees idle;
    /// one whose proxied request is being answered closes after the answer.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, case .proxy = self.current else {
            return context.fireUserInboundEventTriggered(event)
        }
        self.quiescing = true
    }

    // MARK: outbound

    func read(context: ChannelHandlerContext) {
        if self.exchangeHoldsReads || !self.waiting.isEmpty {
            self.readPending = true
        } else {
            context.read()
        }
    }

    /// The router's response parts pass through; its end lets the next request in.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = self.unwrapOutboundIn(data), case .router(let requestEnded, _) = self.current else { return }
        self.current = .router(requestEnded: requestEnded, responseEnded: true)
        if requestEnded { self.next() }
    }

    // MARK: for the exchange

    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    /// An interim answer (`100 Continue`), sent at once.
    func writeInterim(_ bytes: ByteBuffer) {
        self.edge.writeProxied(bytes)
        self.edge.flushProxied()
    }

    /// The final response's head, as bytes.
    func startResponse(_ head: ByteBuffer) {
        self.edge.writeProxied(head, startsResponse: true)
    }

    /// Part of the response's body, as bytes (its framing included).
    func writeBody(_ bytes: ByteBuffer) {
        self.edge.writeProxied(bytes)
    }

    func flush() {
        self.edge.flushProxied()
    }

    /// Ends the response; with `closing`, the connection closes once it is out.
    func endResponse(closing: Bool) {
        let closes = closing || self.quiescing
        if closes { self.closing = true }
        self.edge.endProxied(closing: closes)
    }

    /// Answers with `problem` as problem+json.
    func writeProblem(_ problem: ProblemDetails, requestID: String, path: String, close: Bool, serverTiming: String) {
        let body = problem.encodedBody(instance: String(path.prefix { $0 != "?" }), requestID: requestID)
        var response = ByteBuffer()
        response.reserveCapacity(320 + serverTiming.utf8.count + body.readableBytes)
        response.writeHTTP1StatusLine(HTTPResponseStatus(statusCode: problem.status.code))
        response.writeHTTP1Field("Content-Type", ProblemDetails.mediaType)
        response.writeHTTP1Field("Content-Length", String(body.readableBytes))
        response.writeHTTP1Field("X-Request-ID", requestID)
        if let seconds = problem.retryAfterSeconds { response.writeHTTP1Field("Retry-After", String(seconds)) }
        response.writeHTTP1Field("Server-Timing", serverTiming)
        if close { response.writeHTTP1Field("Connection", "close") }
        response.writeStaticString("\r\n")
        response.writeImmutableBuffer(body)
        self.startResponse(response)
        self.endResponse(closing: close)
    }

    /// Closes the connection now: part of a response went out and the rest
    /// cannot follow. What was written goes first (as far as the socket takes
    /// it), so the client sees where its answer broke off.
    func closeConnection() {
        self.closing = true
        self.edge.flushProxied()
        self.context?.close(promise: nil)
    }

    /// Calls the exchange's ``ProxyExchange/expired()`` at `deadline` instead
    /// of any time set before.
    func wakeExchange(at deadline: NIODeadline) {
        guard let context = self.context else { return }
        self.exchangeTimer.set(deadline, on: context.eventLoop, handler: self.expiry(context.eventLoop))
    }

    /// The exchange waits for no time now.
    func clearExchangeTimer() {
        self.exchangeTimer.clear()
    }

    /// Stops reading the client (its body waits) or starts again.
    func holdReads(_ hold: Bool) {
        self.exchangeHoldsReads = hold
        if !hold { self.resumeReading() }
    }

    /// The exchange has answered: the next request may come in.
    func exchangeFinished() {
        self.current = .none
        self.exchangeHoldsReads = false
        if !self.closing { self.next() }
    }

    // MARK: the next request

    /// Takes the requests that waited, until one is being answered.
    private func next() {
        self.current = .none
        guard let context = self.context else { return }
        var took = false
        while self.isIdle, !self.closing, let part = self.waiting.popFirst() {
            took = true
            self.take(part, context: context)
            // The rest of a request whose head was just taken belongs to it.
            while !self.closing, let following = self.waiting.first, !Self.isHead(following) {
                self.waiting.removeFirst()
                self.take(following, context: context)
            }
        }
        // Outside a socket read: the handlers after this one (Hummingbird's
        // inbound stream among them) pass on what they got at read-complete.
        if took { self.channelReadComplete(context: context) }
        self.resumeReading()
    }

    private func resumeReading() {
        guard self.readPending, !self.exchangeHoldsReads, self.waiting.isEmpty, let context = self.context else { return }
        self.readPending = false
        context.read()
    }

    private static func isHead(_ part: HTTPServerRequestPart) -> Bool {
        if case .head = part { return true }
        return false
    }

    // MARK: timer

    private func expiry(_ eventLoop: any EventLoop) -> Expiry {
        Expiry(handler: NIOLoopBound(self, eventLoop: eventLoop))
    }

    fileprivate func timerFired() {
        guard let context = self.context, self.exchangeTimer.fired(on: context.eventLoop, handler: self.expiry(context.eventLoop)),
            case .proxy(let exchange) = self.current
        else { return }
        exchange.expired()
    }

    private struct Expiry: NIOScheduledCallbackHandler, Sendable {
        let handler: NIOLoopBound<ProxyHandler>

        func handleScheduledCallback(eventLoop: some EventLoop) {
            self.handler.value.timerFired()
        }
    }
}
