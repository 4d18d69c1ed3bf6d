import NIOCore

/// The handler right before Hummingbird's HTTP/1 encoder in a client
/// connection's pipeline (on the socket's side of it): proxied responses are
/// written through it as the bytes the upstream sent
/// (``EdgeGuard/writeProxied(_:startsResponse:)``), past the encoder. It
/// passes everything else on untouched.
final class ClientSocketWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func write(_ bytes: ByteBuffer) {
        self.context?.write(NIOAny(bytes), promise: nil)
    }

    func flush() {
        self.context?.flush()
    }

    /// Flushes, then closes the connection once everything written has gone out.
    func flushAndClose() {
        guard let context = self.context else { return }
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
    }
}
