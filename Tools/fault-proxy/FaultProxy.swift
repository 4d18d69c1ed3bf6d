import NIOCore
import NIOHTTP1
import NIOPosix

/// The running proxy: a listener for each route and the admin API's.
struct FaultProxy: Sendable {
    let routes: [Route]
    /// Where the admin API listens (the bound port when 0 was asked for).
    let admin: Endpoint
    private let listeners: [any Channel]

    /// Binds every route's listener, then the admin API's; on a failure, closes
    /// what was bound and throws a ``StartError``.
    static func start(_ options: ProxyOptions, group: any EventLoopGroup) async throws -> FaultProxy {
        var listeners: [any Channel] = []
        do {
            var routes: [Route] = []
            for spec in options.routes {
                let route = Route(spec)
                let listener = try await Self.bind(Self.routeBootstrap(route, group: group), to: spec.listen, for: "route \(spec.name)")
                listeners.append(listener)
                route.listen = Endpoint(host: spec.listen.host, port: listener.localAddress?.port ?? spec.listen.port)
                routes.append(route)
            }
            let api = AdminAPI(routes: routes)
            let adminBootstrap = Self.listening(group).childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(api: api))
                }
            }
            let adminListener = try await Self.bind(adminBootstrap, to: options.admin, for: "admin")
            listeners.append(adminListener)
            let admin = Endpoint(host: options.admin.host, port: adminListener.localAddress?.port ?? options.admin.port)
            return FaultProxy(routes: routes, admin: admin, listeners: listeners)
        } catch {
            for listener in listeners {
                try? await listener.close()
            }
            throw error
        }
    }

    func route(named name: String) -> Route? {
        self.routes.first { $0.name == name }
    }

    /// Stops accepting; open connections stay until their peers close them (or the process exits).
    func close() async {
        for listener in self.listeners {
            try? await listener.close()
        }
    }

    private static func listening(_ group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
    }

    private static func routeBootstrap(_ route: Route, group: any EventLoopGroup) -> ServerBootstrap {
        Self.listening(group)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = ProxyConnection(route: route, client: channel)
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(connection, side: .client))
                }
            }
    }

    private static func bind(_ bootstrap: ServerBootstrap, to address: Endpoint, for what: String) async throws -> any Channel {
        do {
            return try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch {
            throw StartError.cannotListen(what, on: address, because: error)
        }
    }
}
