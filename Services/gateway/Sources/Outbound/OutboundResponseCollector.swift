import NIOCore
import NIOHTTP1

/// Reads one response of an ``OutboundClient`` call into memory and
/// completes the call's promise: with the response at its end, or with the
/// error that ended the connection first.
final class OutboundResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<OutboundClient.Response>
    private let maxBodyBytes: Int
    private var status = 0
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<OutboundClient.Response>, maxBodyBytes: Int) {
        self.promise = promise
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
        case .body(var part):
            guard self.body.readableBytes + part.readableBytes <= self.maxBodyBytes else {
                self.promise.fail(NIOTooManyBytesError(maxBytes: self.maxBodyBytes))
                context.close(promise: nil)
                return
            }
            self.body.writeBuffer(&part)
        case .end:
            self.promise.succeed(OutboundClient.Response(status: self.status, body: self.body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Before the response's end: the upstream closed on us (a completed promise ignores this).
        self.promise.fail(ChannelError.eof)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}
