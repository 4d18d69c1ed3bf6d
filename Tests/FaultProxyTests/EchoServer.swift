import NIOCore
import NIOPosix

/// The upstream of the tests: echoes what it reads, closes the connection
/// after echoing its EOF or a `QUIT` at the end of what it has read, and tells
/// when a connection closes.
struct EchoServer: Sendable {
    let channel: any Channel
    /// One element each time a connection to the server closes.
    let closes: AsyncStream<Void>

    var port: Int { self.channel.localAddress?.port ?? 0 }

    static func start() async throws -> EchoServer {
        let (closes, closed) = AsyncStream.makeStream(of: Void.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Echo(closed: closed)) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return EchoServer(channel: channel, closes: closes)
    }

    /// Returns when a connection closes; throws if none does within `timeout`.
    func nextClose(within timeout: Duration) async throws {
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in self.closes { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard closed else { throw TestClient.Failure(description: "no upstream connection closed within \(timeout)") }
    }

    private final class Echo: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private static let quit = Array("QUIT".utf8)
        private let closed: AsyncStream<Void>.Continuation
        private var tail: [UInt8] = []

        init(closed: AsyncStream<Void>.Continuation) {
            self.closed = closed
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.tail = Array((self.tail + Self.unwrapInboundIn(data).readableBytesView).suffix(Self.quit.count))
            context.write(data, promise: nil)
            if self.tail == Self.quit {
                self.closeAfterWrites(context)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }

        /// The client's EOF: the echo is complete once written, then the server closes.
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .inputClosed = event as? ChannelEvent {
                self.closeAfterWrites(context)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.closed.yield()
            context.fireChannelInactive()
        }

        /// Closes once everything written so far is out (a plain close would drop it).
        private func closeAfterWrites(_ context: ChannelHandlerContext) {
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
