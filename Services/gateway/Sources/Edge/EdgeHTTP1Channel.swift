import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel with the gateway's ``EdgeGuard`` right after
/// the HTTP/1 decoder, where it sees each request head as the client sent it
/// (its version, every `Host`), then the ``ProxyHandler``, which takes
/// `/api/*` before Hummingbird and answers it through the
/// ``ClientSocketWriter`` placed before the encoder; the decoder's head
/// limits are set from ``EdgeSettings``.
struct EdgeHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    private let base: HTTP1Channel
    private let settings: EdgeSettings
    private let proxy: ProxyEngine

    init(responder: @escaping HTTPChannelHandler.Responder, settings: EdgeSettings, proxy: ProxyEngine) {
        let limits = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: settings.maxHeaderBytes, maxHeaderListSize: settings.maxHeaderBytes, maxHeaderFieldCount: settings.maxHeaderCount
        )
        self.base = HTTP1Channel(responder: responder, configuration: .init(httpDecoderConfiguration: limits))
        self.settings = settings
        self.proxy = proxy
    }

    /// A server builder for `Application(server:)`.
    static func server(_ settings: EdgeSettings, proxy: ProxyEngine) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in EdgeHTTP1Channel(responder: responder, settings: settings, proxy: proxy) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        self.base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            // Right before the encoder: proxied bytes skip it and still pass
            // whatever sits between it and the socket.
            let encoder = try channel.pipeline.syncOperations.handler(type: HTTPResponseEncoder.self)
            let socket = ClientSocketWriter()
            try channel.pipeline.syncOperations.addHandler(socket, position: .before(encoder))
            let edge = EdgeGuard(settings: self.settings, logger: logger, socket: socket)
            try channel.pipeline.syncOperations.addHandler(edge, position: .after(decoder))
            try channel.pipeline.syncOperations.addHandler(ProxyHandler(engine: self.proxy, edge: edge), position: .after(edge))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}
