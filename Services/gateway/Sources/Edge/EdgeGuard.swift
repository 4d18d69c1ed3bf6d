import Logging
import NIOCore
import NIOHTTP1
import Shared

/// The gateway's edge: the first handler after HTTP/1 decoding, before
/// Hummingbird. It refuses what RFC 9112 says a server must refuse (missing or
/// repeated `Host`, a malformed request, an oversized head) with a
/// problem+json 4xx and nothing forwarded, normalises each request target
/// (``RequestTarget``) before any route matches it, and closes clients that
/// send a head too slowly (`CLIENT_HEADER_TIMEOUT_MS`) or idle too long
/// (`CLIENT_IDLE_TIMEOUT_MS`). A refusal closes the connection, after the
/// answers to the requests before it, in order.
///
/// All state lives on the channel's event loop; no lock, no task.
final class EdgeGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let settings: EdgeSettings
    private let logger: Logger
    private let socket: ClientSocketWriter
    private var context: ChannelHandlerContext?
    /// The idle or header timeout (``LazyTimer``: no timer operation per request).
    private var timer = LazyTimer()

    /// No request is being received: the next part must be a head.
    private var awaitingHead = true
    /// Bytes of the next head have arrived (the header timeout runs).
    private var headStarted = false
    /// A read delivered a part (so its bytes were not an unfinished head).
    private var partInThisRead = false
    /// Requests passed on whose response has not ended.
    private var unanswered = 0
    /// The oldest unanswered response's head has been written.
    private var responseStarted = false
    /// After a refusal: every further inbound part is dropped.
    private var refusing = false
    /// A refusal waiting for the earlier responses to end.
    private var pendingRefusal: EdgeRefusal?
    /// Hummingbird's writes are failed: the refusal took the response's place.
    private var outboundClosed = false

    init(settings: EdgeSettings, logger: Logger, socket: ClientSocketWriter) {
        self.settings = settings
        self.logger = logger
        self.socket = socket
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.schedule(self.settings.idleTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.schedule(self.settings.idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer.cancel()
        context.fireChannelInactive()
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partInThisRead = true
        guard !self.refusing else { return }
        switch self.unwrapInboundIn(data) {
        case .head(var head):
            self.cancelTimer()
            self.awaitingHead = false
            self.headStarted = false
            do {
                try Self.check(&head)
            } catch {
                self.refuse(error, context: context)
                return
            }
            self.unanswered += 1
            context.fireChannelRead(self.wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            self.awaitingHead = true
            context.fireChannelRead(data)
        }
    }

    /// Every socket read ends here, even one the decoder made nothing of: a
    /// read with no part while a head is awaited is the start of a head.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !self.partInThisRead, self.awaitingHead, !self.headStarted, !self.refusing {
            self.headStarted = true
            self.schedule(self.settings.headerTimeout)
        }
        self.partInThisRead = false
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !self.refusing else {
            context.fireErrorCaught(error)
            return
        }
        let refusal = EdgeRefusal(parserError)
        if self.awaitingHead {
            self.refuse(refusal, context: context)
        } else if self.unanswered == 1, !self.responseStarted {
            // The body of the request being answered is malformed, and no byte
            // of its response has gone out: the refusal takes its place.
            // Hummingbird sees the error (so nothing half-read is forwarded as
            // whole) and its writes for this request fail.
            self.refusing = true
            self.outboundClosed = true
            self.unanswered = 0
            self.write(refusal, context: context)
            context.fireErrorCaught(error)
        } else {
            // Part of a response is out already: closing is the only answer.
            self.refusing = true
            self.log(refusal)
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    // MARK: outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !self.outboundClosed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch self.unwrapOutboundIn(data) {
        case .head(let head):
            // An interim 100 Continue leaves room for a final answer (a refusal included).
            if head.status.code >= 200 { self.responseStarted = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            self.responseEnded(context: context)
        }
    }

    private func responseEnded(context: ChannelHandlerContext) {
        self.responseStarted = false
        self.unanswered -= 1
        guard self.unanswered == 0 else { return }
        if let refusal = self.pendingRefusal {
            self.pendingRefusal = nil
            self.write(refusal, context: context)
        } else if self.awaitingHead, !self.headStarted, !self.refusing {
            self.schedule(self.settings.idleTimeout)
        }
    }

    // MARK: proxied responses, as bytes

    /// Writes part of a proxied response (`startsResponse`: its final head)
    /// as bytes, past Hummingbird's HTTP/1 encoder.
    func writeProxied(_ bytes: ByteBuffer, startsResponse: Bool = false) {
        guard !self.outboundClosed else { return }
        if startsResponse { self.responseStarted = true }
        self.socket.write(bytes)
    }

    func flushProxied() {
        self.socket.flush()
    }

    /// The proxied response has ended; with `closing`, the connection closes once it is out.
    func endProxied(closing: Bool) {
        guard !self.outboundClosed, let context = self.context else { return }
        if closing { self.socket.flushAndClose() } else { self.socket.flush() }
        self.responseEnded(context: context)
    }

    // MARK: rules

    /// RFC 9112 §3.2: exactly one `Host` in HTTP/1.1, at most one before;
    /// then the target in its canonical form. An HTTP/1.0 request without
    /// `keep-alive` is marked `Connection: close`, which Hummingbird (it sees
    /// no version) honours after the response (RFC 9112 §9.3).
    private static func check(_ head: inout HTTPRequestHead) throws(EdgeRefusal) {
        var hosts = 0
        for (name, _) in head.headers where ProxyHeaders.equalsIgnoringCase(name.utf8, "host") { hosts += 1 }
        if hosts > 1 { throw .hostRepeated }
        let before11 = head.version.major < 1 || (head.version.major == 1 && head.version.minor == 0)
        if hosts == 0, !before11 { throw .hostMissing }
        let target = try RequestTarget.normalized(head.uri)
        if target != head.uri { head.uri = target }
        if before11, !head.headers[canonicalForm: "Connection"].contains(where: { $0.lowercased() == "keep-alive" }) {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
        }
    }

    /// Stops reading requests, and answers `refusal` once every earlier
    /// response has ended.
    private func refuse(_ refusal: EdgeRefusal, context: ChannelHandlerContext) {
        self.refusing = true
        self.cancelTimer()
        if self.unanswered == 0 {
            self.write(refusal, context: context)
        } else {
            self.pendingRefusal = refusal
        }
    }

    /// Writes the refusal's problem, then closes the connection.
    private func write(_ refusal: EdgeRefusal, context: ChannelHandlerContext) {
        self.log(refusal)
        let problem = refusal.problem
        let body = problem.encodedBody()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: ProblemDetails.mediaType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: problem.status.code), headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func log(_ refusal: EdgeRefusal) {
        self.logger.notice("refused a client request", metadata: ["reason": "\(refusal.safeDescription)"])
    }

    // MARK: timers

    private func schedule(_ delay: Duration) {
        guard let context = self.context else { return }
        self.timer.set(.now() + delay.timeAmount, on: context.eventLoop, handler: self.expiry(context.eventLoop))
    }

    private func expiry(_ eventLoop: any EventLoop) -> Expiry {
        Expiry(edge: NIOLoopBound(self, eventLoop: eventLoop))
    }

    private func cancelTimer() {
        self.timer.clear()
    }

    /// The timer fired: the idle or header timeout ran out, unless it moved.
    fileprivate func expired() {
        guard let context = self.context, self.timer.fired(on: context.eventLoop, handler: self.expiry(context.eventLoop)), !self.refusing else {
            return
        }
        if self.headStarted {
            self.refuse(.headTimeout, context: context)
        } else if self.awaitingHead, self.unanswered == 0 {
            context.close(promise: nil)
        }
    }

    private struct Expiry: NIOScheduledCallbackHandler, Sendable {
        let edge: NIOLoopBound<EdgeGuard>

        func handleScheduledCallback(eventLoop: some EventLoop) {
            self.edge.value.expired()
        }
    }
}
