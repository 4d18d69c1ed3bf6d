import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import fault_proxy

/// An ``EchoServer`` behind a fault proxy with one route, `echo`, everything
/// on 127.0.0.1 and ephemeral ports; and the clients a test opens through it.
final class ProxyHarness: Sendable {
    let echo: EchoServer
    let proxy: FaultProxy
    private let clients = Mutex<[TestClient]>([])

    var route: Route { self.proxy.routes[0] }

    private init(echo: EchoServer, proxy: FaultProxy) {
        self.echo = echo
        self.proxy = proxy
    }

    /// Runs `body` with a new harness, then closes its clients, proxy and echo server.
    static func with(_ body: (ProxyHarness) async throws -> Void) async throws {
        let echo = try await EchoServer.start()
        let options = ProxyOptions(
            admin: Endpoint(host: "127.0.0.1", port: 0),
            routes: [RouteSpec(name: "echo", listen: Endpoint(host: "127.0.0.1", port: 0), upstream: Endpoint(host: "127.0.0.1", port: echo.port))]
        )
        let harness = ProxyHarness(echo: echo, proxy: try await FaultProxy.start(options, group: MultiThreadedEventLoopGroup.singleton))
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    /// A client connected to the route's listener.
    func client() async throws -> TestClient {
        let client = try await TestClient.connect(to: self.route.listen.port)
        self.clients.withLock { $0.append(client) }
        return client
    }

    /// A client whose connection reaches the echo server: one round trip is done.
    func connectedClient() async throws -> TestClient {
        let client = try await self.client()
        _ = try await self.roundTrip(client)
        return client
    }

    /// Sets the route's fault; returns once every open connection applied it.
    @discardableResult
    func setFault(_ fault: Fault) async throws -> RouteStatus {
        try await self.route.setFault(fault, on: MultiThreadedEventLoopGroup.singleton.any()).get()
    }

    /// One request to the admin API, on a connection of its own.
    func admin(_ method: String, _ path: String, body: String = "") async throws -> AdminReply {
        let connection = try await TestClient.connect(to: self.proxy.admin.port)
        defer { self.clients.withLock { $0.append(connection) } }
        try await connection.send(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
        return try AdminReply(try await connection.everything(within: .seconds(2)))
    }

    /// An echo round trip of `text` through `client`; returns how long it took.
    func roundTrip(_ client: TestClient, _ text: String = "ping") async throws -> Duration {
        let start = ContinuousClock.now
        try await client.send(text)
        let echoed = try await client.receive(text.utf8.count, within: .seconds(2))
        #expect(echoed == Array(text.utf8))
        return ContinuousClock.now - start
    }

    private func stop() async {
        for client in self.clients.withLock({ $0 }) {
            await client.close()
        }
        await self.proxy.close()
        try? await self.echo.channel.close()
    }
}
