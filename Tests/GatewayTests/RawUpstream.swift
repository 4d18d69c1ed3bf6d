import NIOCore
import NIOPosix
import Synchronization

/// An upstream that answers each request with the bytes a test scripts, as
/// they are: framings, malformed heads and early closes no HTTP server
/// library would send. `/health` always passes. Request bodies are not read.
final class RawUpstream: Sendable {
    /// The bytes of an answer, and whether the connection closes after them.
    struct Answer: Sendable {
        var bytes: String
        var closes = false
    }

    /// The answer in force, shared with every connection's responder.
    private final class Script: Sendable {
        let answer = Mutex(Answer(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    }

    private let channel: any Channel
    private let script = Script()

    var url: String { "http://127.0.0.1:\(self.channel.localAddress?.port ?? 0)" }

    init() async throws {
        let script = self.script
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Responder(script: script)) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    /// What every request to `/api/**` gets from now on.
    func answer(_ bytes: String, closes: Bool = false) {
        self.script.answer.withLock { $0 = Answer(bytes: bytes, closes: closes) }
    }

    func stop() async throws {
        try await self.channel.close()
    }

    private final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private static let health = "HTTP/1.1 200 OK\r\nContent-Type: application/health+json\r\nContent-Length: 17\r\n\r\n{\"status\":\"pass\"}"
        private let script: Script
        private let received = Mutex("")

        init(script: Script) {
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: Self.unwrapInboundIn(data))
            var heads = self.received.withLock { received -> [String] in
                received += text
                var heads: [String] = []
                while let end = received.range(of: "\r\n\r\n") {
                    heads.append(String(received[..<end.lowerBound]))
                    received = String(received[end.upperBound...])
                }
                return heads
            }
            while !heads.isEmpty {
                let head = heads.removeFirst()
                let answer = head.contains(" /health") ? Answer(bytes: Self.health) : self.script.answer.withLock { $0 }
                context.writeAndFlush(NIOAny(ByteBuffer(string: answer.bytes)), promise: nil)
                if answer.closes {
                    context.close(promise: nil)
                    return
                }
            }
        }
    }
}
