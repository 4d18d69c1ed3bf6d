import NIOCore
import NIOPosix

/// One HTTP/1.1 connection from the gateway to an upstream endpoint, opened on
/// a client connection's event loop and used only there. Between exchanges it
/// waits in that loop's ``UpstreamPool``; during one, it hands every part of
/// the response (``UpstreamResponseParser``) and every change of its channel
/// to its ``ProxyExchange``. Requests go out as the bytes the exchange wrote:
/// no HTTP/1 codec in its pipeline.
final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The endpoint it connects to: the pool's key, by identity.
    let endpoint: Endpoint
    private(set) var channel: (any Channel)?
    /// The exchange using it; `nil` while it is pooled.
    var exchange: ProxyExchange?
    /// The pool it returns to when idle (gone once the gateway stops).
    private weak var pool: UpstreamPool?
    /// It has carried an exchange before: a close before any response byte
    /// may be the upstream's keep-alive timeout racing our request.
    private var reused = false
    /// A byte of the current exchange's response has come.
    private var answered = false
    /// It said something out of step: never pooled again.
    private var broken = false
    private var parser = UpstreamResponseParser()
    /// Reading is paused for a client that cannot take more.
    private var paused = false
    /// When it last went back to the pool (set by ``UpstreamPool``).
    var idleSince = NIODeadline.now()

    private init(endpoint: Endpoint, pool: UpstreamPool) {
        self.endpoint = endpoint
        self.pool = pool
    }

    /// Opens a connection to `endpoint` on `eventLoop`.
    static func connect(_ endpoint: Endpoint, pool: UpstreamPool, on eventLoop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<UpstreamConnection> {
        let connection = UpstreamConnection(endpoint: endpoint, pool: pool)
        let bound = NIOLoopBound(connection, eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                }
            }
        // An address connects at once; a name that did not resolve is tried as a name.
        let channel = endpoint.socketAddress.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: endpoint.host, port: endpoint.port)
        return channel.map { channel in
            let connection = bound.value
            connection.channel = channel
            return connection
        }
    }

    /// Marks the start of an exchange on it, whose request is `HEAD` or not.
    func lease(to exchange: ProxyExchange, toHEAD: Bool) {
        self.exchange = exchange
        self.answered = false
        self.parser.expectResponse(toHEAD: toHEAD)
    }

    /// The connection closed before any byte of the response came, after
    /// carrying an exchange before: most likely the upstream's keep-alive
    /// timeout met the request, which it never processed.
    var closedUnanswered: Bool { self.reused && !self.answered }

    /// The response's chunk framing is dropped: only its data goes on.
    func dechunk() {
        self.parser.dechunks = true
    }

    /// The exchange ended cleanly: back to the pool for the next one, reading
    /// again if a slow client had paused it.
    func release() {
        self.exchange = nil
        self.reused = true
        self.setReading(true)
        if let pool = self.pool, !self.broken { pool.put(self) } else { self.close() }
    }

    /// Closes it; it is never pooled again.
    func close() {
        self.exchange = nil
        self.channel?.close(promise: nil)
    }

    var isActive: Bool { self.channel?.isActive ?? false }

    func write(_ bytes: ByteBuffer) {
        self.channel?.write(bytes, promise: nil)
    }

    func flush() {
        self.channel?.flush()
    }

    var isWritable: Bool { self.channel?.isWritable ?? false }

    /// Lets the upstream's response flow, or stops reading it (back-pressure
    /// from a client that cannot take more).
    func setReading(_ reading: Bool) {
        guard reading == self.paused else { return }
        self.paused = !reading
        _ = self.channel?.setOption(.autoRead, value: reading)
        if reading { self.channel?.read() }
    }

    // MARK: channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        self.answered = true
        do {
            // A pooled connection must stay silent: the parser expects nothing.
            while let event = try self.parser.next(&input) {
                // Bytes after the response's end are out of step.
                if case .end = event, input.readableBytes > 0 { self.broken = true }
                self.exchange?.upstreamRead(event)
            }
        } catch {
            self.exchange?.upstreamFailed(error)
            self.broken = true
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.exchange?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.exchange?.upstreamWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A body that runs until the close has ended.
        if let end = self.parser.closed() { self.exchange?.upstreamRead(end) }
        if let exchange = self.exchange {
            self.exchange = nil
            exchange.upstreamClosed(self)
        } else {
            self.pool?.remove(self)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Every error ends the connection; channelInactive tells the exchange.
        context.close(promise: nil)
    }
}
