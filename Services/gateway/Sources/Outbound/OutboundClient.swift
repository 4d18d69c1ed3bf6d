#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// The gateway's own outbound HTTP/1.1 calls (upstream health checks, breaker
/// probes, the health webhook): plain `http`, one request per connection
/// (`Connection: close`), the whole call bounded by one event-loop timer.
/// Client requests never come here: they go through the proxy's pooled
/// connections (``UpstreamConnection``).
struct OutboundClient: Sendable {
    let group: any EventLoopGroup
    /// Bounds name resolution and the TCP connect (never more than a call's timeout).
    let connectTimeout: TimeAmount

    /// Where a call goes: what to connect to, and its `Host` field.
    struct Destination: Sendable {
        var host: String
        var port: Int
        /// Set when `host` is an address literal: no resolution per connect.
        var address: SocketAddress?
        var authority: String

        /// An upstream endpoint, connected to as the proxy does.
        init(_ endpoint: Endpoint) {
            self.host = endpoint.host
            self.port = endpoint.port
            self.address = endpoint.socketAddress
            self.authority = endpoint.authority
        }

        /// The host and port of an `http` URL.
        init(_ url: URL) {
            self.host = url.host?.trimming { $0 == "[" || $0 == "]" } ?? "127.0.0.1"
            self.port = url.port ?? 80
            self.address = try? SocketAddress(ipAddress: self.host, port: self.port)
            self.authority = Endpoint.authority(host: self.host, port: url.port)
        }
    }

    /// A whole response: its status code and body.
    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    /// Sends one request and reads the whole response within `timeout`
    /// (``ProxyError/perTryTimeout`` past it). A body over `maxBodyBytes`
    /// fails the call (`NIOTooManyBytesError`).
    func execute(
        _ method: HTTPMethod, _ target: String, to destination: Destination, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
        timeout: TimeAmount, maxBodyBytes: Int
    ) async throws -> Response {
        let eventLoop = self.group.any()
        let promise = eventLoop.makePromise(of: Response.self)
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(ProxyError.perTryTimeout) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        var headers = headers
        headers.add(name: "Host", value: destination.authority)
        headers.add(name: "Connection", value: "close")
        if let body { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: headers)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(min(self.connectTimeout, timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(OutboundResponseCollector(promise: promise, maxBodyBytes: maxBodyBytes))
                }
            }
        let connected = destination.address.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: destination.host, port: destination.port)
        connected.whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(error)
            case .success(let channel):
                // Closed once the call is over, whatever ended it (the timer included).
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            }
        }
        return try await promise.futureResult.get()
    }
}
