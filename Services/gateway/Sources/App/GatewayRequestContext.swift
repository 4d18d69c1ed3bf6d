import Hummingbird
import NIOCore

/// The gateway's request context: Hummingbird's core plus the client's address.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, for `X-Forwarded-For`.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }
}
