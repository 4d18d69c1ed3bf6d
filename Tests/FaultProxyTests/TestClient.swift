import NIOCore
import NIOPosix

/// A TCP client for the tests. It collects what arrives; a test awaits an
/// amount of bytes or the end of the connection, each with a deadline, on the
/// channel's event loop (no thread blocks).
struct TestClient: Sendable {
    /// How the connection ended.
    enum End: Equatable, Sendable {
        case eof
        /// An error; the errno of an `IOError` (ECONNRESET for a reset).
        case error(errno: Int32?)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let channel: any Channel
    private let collector: NIOLoopBound<Collector>

    /// How a new connection to `port` ends, a failed connect included (a reset
    /// that comes before the connect completes fails it).
    static func end(ofNewConnectionTo port: Int, within timeout: TimeAmount) async throws -> End {
        let client: TestClient
        do {
            client = try await Self.connect(to: port)
        } catch {
            let cause = (error as? NIOConnectionError)?.connectionErrors.first?.error ?? error
            return .error(errno: (cause as? IOError)?.errnoCode)
        }
        defer { client.channel.close(promise: nil) }
        return try await client.end(within: timeout)
    }

    static func connect(to port: Int) async throws -> TestClient {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let collector = Collector()
                    try channel.pipeline.syncOperations.addHandler(collector)
                    return TestClient(channel: channel, collector: NIOLoopBound(collector, eventLoop: channel.eventLoop))
                }
            }
    }

    func send(_ text: String) async throws {
        try await self.send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Sends an EOF; the connection stays open for reading.
    func halfClose() async throws {
        try await self.channel.close(mode: .output).get()
    }

    /// The next `count` bytes; fails when the connection ends first or `timeout` passes.
    func receive(_ count: Int, within timeout: TimeAmount) async throws -> [UInt8] {
        try await self.onLoop { collector in
            collector.waitFor("\(count) bytes", within: timeout) { try collector.take(count) }
        }
    }

    /// How the connection ends; fails when it is still open after `timeout`.
    func end(within timeout: TimeAmount) async throws -> End {
        try await self.onLoop { collector in
            collector.waitFor("the end of the connection", within: timeout) { collector.end }
        }
    }

    /// Everything received once the peer has closed (an HTTP/1.1 `Connection: close` response).
    func everything(within timeout: TimeAmount) async throws -> [UInt8] {
        try await self.onLoop { collector in
            collector.waitFor("the end of the connection", within: timeout) { collector.end.map { _ in collector.rest() } }
        }
    }

    /// Whether, `duration` from now, nothing has arrived and the connection is still open.
    func staysQuiet(for duration: TimeAmount) async throws -> Bool {
        try await self.onLoop { collector in
            collector.eventLoop.assumeIsolated().scheduleTask(in: duration) { collector.isQuiet }.futureResult
        }
    }

    func close() async {
        try? await self.channel.close()
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (Collector) -> EventLoopFuture<T>) async throws -> T {
        let collector = self.collector
        return try await self.channel.eventLoop.flatSubmit { body(collector.value) }.get()
    }

    /// Collects what arrives and wakes the waits it satisfies.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private var received = ByteBuffer()
        private(set) var end: End?
        private var waits: [() -> Bool] = []
        private(set) var eventLoop: (any EventLoop)!

        var isQuiet: Bool { self.received.readableBytes == 0 && self.end == nil }

        func handlerAdded(context: ChannelHandlerContext) {
            self.eventLoop = context.eventLoop
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.received.writeImmutableBuffer(Self.unwrapInboundIn(data))
            self.wake()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if self.end == nil {
                self.end = .error(errno: (error as? IOError)?.errnoCode)
            }
            self.wake()
        }

        func channelInactive(context: ChannelHandlerContext) {
            if self.end == nil {
                self.end = .eof
            }
            self.wake()
        }

        func take(_ count: Int) throws -> [UInt8]? {
            if let bytes = self.received.readBytes(length: count) { return bytes }
            if let end = self.end { throw Failure(description: "connection ended (\(end)) with \(self.received.readableBytes) of \(count) bytes") }
            return nil
        }

        func rest() -> [UInt8] {
            self.received.readBytes(length: self.received.readableBytes) ?? []
        }

        /// Succeeds with `check`'s first non-nil value (rechecked on every event); fails when it throws or `timeout` passes.
        func waitFor<T: Sendable>(_ what: String, within timeout: TimeAmount, _ check: @escaping () throws -> T?) -> EventLoopFuture<T> {
            let promise = self.eventLoop.makePromise(of: T.self)
            var done = false
            let attempt: () -> Bool = {
                guard !done else { return true }
                do {
                    guard let value = try check() else { return false }
                    promise.succeed(value)
                } catch {
                    promise.fail(error)
                }
                done = true
                return true
            }
            if !attempt() {
                self.waits.append(attempt)
                self.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                    guard !done else { return }
                    done = true
                    promise.fail(Failure(description: "no \(what) within \(timeout)"))
                }
            }
            return promise.futureResult
        }

        private func wake() {
            self.waits.removeAll { $0() }
        }
    }
}
