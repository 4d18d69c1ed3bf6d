import NIOCore
import NIOHTTP1

/// Reads admin requests (bodies up to ``AdminAPI/bodyLimit``) and writes what
/// ``AdminAPI`` answers.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: AdminAPI
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(api: AdminAPI) {
        self.api = api
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            self.tooLarge = head.headers.first(name: "content-length").flatMap { Int($0) }.map { $0 > AdminAPI.bodyLimit } ?? false
        case .body(let chunk):
            guard !self.tooLarge else { return }
            if self.body.count + chunk.readableBytes > AdminAPI.bodyLimit {
                self.tooLarge = true
                self.body = []
            } else {
                self.body.append(contentsOf: chunk.readableBytesView)
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            if self.tooLarge {
                return self.write(.problem(.payloadTooLarge, "the body is over \(AdminAPI.bodyLimit) bytes"), to: head, keepAlive: false, context: context)
            }
            self.api.respond(to: head.method, uri: head.uri, body: self.body, on: context.eventLoop)
                .assumeIsolated()
                .whenSuccess { self.write($0, to: head, keepAlive: head.isKeepAlive, context: context) }
        }
    }

    private func write(_ response: AdminResponse, to request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        if let allow = response.allow {
            headers.add(name: "allow", value: allow)
        }
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
