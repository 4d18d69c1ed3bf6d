import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import ServiceLifecycle
import Shared
import TestSupport
import Testing

@testable import Gateway

/// The NIO proxy (``ProxyHandler``, ``ProxyExchange``) on a live socket:
/// order across the proxy and the router, bodies over the retry buffer
/// streaming both ways, `Expect: 100-continue`, idle upstream connections
/// closed, and a graceful shutdown that lets an answer finish.
@Suite struct GatewayStreamingTests {
    func withGateway(_ extra: [String: String] = [:], _ body: @escaping @Sendable (_ port: Int, _ upstream: TestUpstream) async throws -> Void) async throws {
        let settings = ["PER_TRY_TIMEOUT_MS": "5000", "REQUEST_DEADLINE_MS": "20000"].merging(extra) { $1 }
        try await LiveGateway.run(settings, label: "gateway-streaming-test") { port, upstream, _ in try await body(port, upstream) }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAcrossTheProxyAndTheRouter() async throws {
        try await self.withGateway { port, _ in
            let connection = try RawHTTPConnection(port: port)
            try connection.send(
                "GET /api/items/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /openapi.yaml HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /api/items/2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            )
            let answer = try await connection.readAll()
            let first = try #require(answer.text.range(of: "ok from"), "\(answer.text.prefix(300))")
            let document = try #require(answer.text.range(of: "openapi: "))
            let last = try #require(answer.text.range(of: "ok from", range: document.upperBound..<answer.text.endIndex))
            #expect(first.lowerBound < document.lowerBound && document.lowerBound < last.lowerBound)
            #expect(answer.text.matches(of: try Regex(#"HTTP/1\.1 200 "#)).count == 3)
            #expect(answer.closed)
        }
    }

    /// Over `RETRY_BUFFER_LIMIT_BYTES` a body streams to the upstream (sized
    /// or chunked), is sent once, and the upstream's echo of it streams back whole.
    @Test func bodiesOverTheRetryBufferStreamBothWaysAndGoOnce() async throws {
        try await self.withGateway(["RETRY_BUFFER_LIMIT_BYTES": "1024"]) { port, upstream in
            let payload = String((0..<300_000).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/items/7")
            request.method = .PUT
            request.body = .bytes(ByteBuffer(string: payload))
            let before = upstream.hits
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
            #expect(response.status == .ok)
            let echoed = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(echoed.hasSuffix("body=" + payload), "\(echoed.count) bytes back")
            #expect(upstream.hits == before + 1)

            let chunk = String(repeating: "x", count: 2000)
            let connection = try RawHTTPConnection(port: port)
            var chunked = "PUT /api/items/8 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            for _ in 0..<3 { chunked += "7d0\r\n\(chunk)\r\n" }
            try connection.send(chunked + "0\r\n\r\n")
            let answer = try await connection.readAll()
            #expect(answer.text.hasPrefix("HTTP/1.1 200 "), "\(answer.text.prefix(200))")
            #expect(upstream.lastBody == String(repeating: chunk, count: 3))
        }
    }

    /// A client that sends `Expect: 100-continue` gets `100 Continue` from the
    /// gateway before it sends its body, then the upstream's answer; the
    /// upstream gets the body and no `Expect`.
    @Test func expectContinueIsAnsweredBeforeTheBodyIsSent() async throws {
        try await self.withGateway { port, upstream in
            let connection = try RawHTTPConnection(port: port)
            try connection.send("PUT /api/items/9 HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
            let interim = try await offloaded { String(decoding: try connection.receive(), as: UTF8.self) }
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            try connection.send("hello")
            let answer = try await connection.readAll()
            #expect(answer.text.hasPrefix("HTTP/1.1 200 "), "\(answer.text.prefix(200))")
            #expect(upstream.lastBody == "hello")
            #expect(upstream.lastHeaders["expect"] == nil, "\(upstream.lastHeaders)")
        }
    }

    /// The proxy's pooled upstream connections close once idle for
    /// `UPSTREAM_IDLE_TIMEOUT_MS`: an upstream that vanished without a word
    /// does not keep sockets open in the gateway for ever.
    @Test func idleUpstreamConnectionsAreClosed() async throws {
        try await self.withGateway(["UPSTREAM_IDLE_TIMEOUT_MS": "300"]) { port, upstream in
            upstream.set(.delay(.seconds(3)))
            let hits = upstream.hits
            try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
                for id in 0..<4 {
                    group.addTask {
                        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/items/\(id)"), timeout: .seconds(10))
                        #expect(response.status == .ok)
                        return .now
                    }
                }
                // All four at the upstream and none answered: four distinct
                // connections, among the ones open now (with the health
                // poller's and the test client's own).
                try await waitUntil("four requests at the upstream") { upstream.hits >= hits + 4 }
                let open = try Self.establishedConnections(toPort: upstream.port)
                let seen = ContinuousClock.now
                for try await answered in group {
                    #expect(answered > seen, "a request was answered before all four were at the upstream")
                }
                // Back in the pools, then closed once idle: at least four of those gone.
                try await waitUntil("the four pooled connections closed (\(open.count) open while they were in flight)") {
                    try open.count - open.intersection(Self.establishedConnections(toPort: upstream.port)).count >= 4
                }
            }
        }
    }

    /// Established TCP connections whose local port is `port` (the upstream's
    /// side of each connection to it, named by the peer's address), from /proc/net/tcp.
    private static func establishedConnections(toPort port: Int) throws -> Set<Substring> {
        // Read to the end: procfs reports no size, and the table outgrows a page.
        guard let file = FileHandle(forReadingAtPath: "/proc/net/tcp") else { throw TestServerError("cannot read /proc/net/tcp") }
        defer { try? file.close() }
        let table = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
        let local = ":" + String(format: "%04X", port)
        var peers: Set<Substring> = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > 3, fields[1].hasSuffix(local), fields[3] == "01" { peers.insert(fields[2]) }
        }
        return peers
    }

    /// A graceful shutdown (SIGTERM) lets a proxied answer in progress finish.
    @Test func aGracefulShutdownLetsTheAnswerInProgressFinish() async throws {
        try await LiveGateway.run(["PER_TRY_TIMEOUT_MS": "5000"], label: "gateway-streaming-test") { port, upstream, group in
            upstream.set(.delay(.milliseconds(1500)))
            let connection = try RawHTTPConnection(port: port)
            let hits = upstream.hits
            try connection.send("GET /api/items/1 HTTP/1.1\r\nHost: t\r\n\r\n")
            try await waitUntil("the request reached the upstream") { upstream.hits > hits }
            await group.triggerGracefulShutdown()
            let answer = try await connection.readAll()
            #expect(answer.text.hasPrefix("HTTP/1.1 200 "), "\(answer.text.prefix(200))")
            #expect(answer.closed)
        }
    }
}
