import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import fault_proxy

/// The proxy over real TCP: an echo server as the upstream, the proxy in process.
struct FaultProxyTests {
    @Test func bytesPassThroughUnchangedBothWays() async throws {
        try await ProxyHarness.with { harness in
            let client = try await harness.client()
            _ = try await harness.roundTrip(client, "hello")
            // 1 MiB: more than the socket buffers and NIO's write-buffer marks hold, so reading pauses and resumes.
            let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
            try await client.send(payload)
            #expect(try await client.receive(payload.count, within: .seconds(5)) == payload)
            let status = harness.route.status()
            #expect(status.openConnections == 1 && status.acceptedConnections == 1 && status.heldBytes == 0)
        }
    }

    @Test func latencyDelaysEachResponse() async throws {
        try await ProxyHarness.with { harness in
            let client = try await harness.connectedClient()
            // Bounds from the fault itself, not from the machine's speed: at
            // least the latency while it is on, less than it once lifted.
            try await harness.setFault(.latency(milliseconds: 1000))
            let delayed = try await harness.roundTrip(client)
            #expect(delayed >= .milliseconds(1000), "\(delayed)")
            try await harness.setFault(.none)
            let direct = try await harness.roundTrip(client)
            #expect(direct < .milliseconds(1000), "\(direct)")
        }
    }

    @Test func blackholeHoldsEverythingUntilLifted() async throws {
        try await ProxyHarness.with { harness in
            let open = try await harness.connectedClient()
            try await harness.setFault(.blackhole)
            try await open.send("held")
            #expect(try await open.staysQuiet(for: .milliseconds(300)), "no reply, and still open")
            let late = try await harness.client()
            try await late.send("late")

            try await harness.setFault(.none)
            #expect(try await open.receive(4, within: .seconds(2)) == Array("held".utf8))
            #expect(try await late.receive(4, within: .seconds(2)) == Array("late".utf8))
            _ = try await harness.roundTrip(late)
            let status = harness.route.status()
            #expect(status.openConnections == 2 && status.heldBytes == 0)
        }
    }

    @Test func aClientGivingUpDuringABlackholeClosesItsUpstream() async throws {
        try await ProxyHarness.with { harness in
            let client = try await harness.connectedClient()
            try await harness.setFault(.blackhole)
            try await client.send("lost")
            await client.close()
            try await harness.echo.nextClose(within: .seconds(2))
            let status = harness.route.status()
            #expect(status.openConnections == 0 && status.heldBytes == 0)
        }
    }

    @Test func resetClosesOpenAndNewConnectionsWithRST() async throws {
        try await ProxyHarness.with { harness in
            let client = try await harness.connectedClient()
            try await harness.setFault(.reset)
            #expect(try await client.end(within: .seconds(1)) == .error(errno: ECONNRESET))

            let late = try await TestClient.end(ofNewConnectionTo: harness.route.listen.port, within: .seconds(1))
            #expect(late == .error(errno: ECONNRESET))
            #expect(harness.route.status().fault == Fault.reset.wire)

            try await harness.setFault(.none)
            _ = try await harness.connectedClient()
        }
    }

    @Test func upstreamClosingEndsTheClientConnection() async throws {
        try await ProxyHarness.with { harness in
            let client = try await harness.connectedClient()
            try await client.send("QUIT")
            #expect(try await client.receive(4, within: .seconds(1)) == Array("QUIT".utf8))
            #expect(try await client.end(within: .seconds(1)) == .eof)
        }
    }

    /// The client's EOF reaches the upstream after its bytes, and the upstream's
    /// after its whole response, also when latency holds more than the backlog limit.
    @Test(arguments: [Fault.none, .latency(milliseconds: 50)])
    func halfClosesPassOnAfterTheBytesBeforeThem(_ fault: Fault) async throws {
        try await ProxyHarness.with { harness in
            try await harness.setFault(fault)
            let client = try await harness.client()
            let payload = (0..<(3 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
            try await client.send(payload)
            try await client.halfClose()
            #expect(try await client.receive(payload.count, within: .seconds(2)) == payload)
            #expect(try await client.end(within: .seconds(1)) == .eof)
            try await harness.echo.nextClose(within: .seconds(1))
            #expect(harness.route.status().heldBytes == 0)
        }
    }

    @Test func adminAPIReportsAndChangesFaults() async throws {
        try await ProxyHarness.with { harness in
            #expect(try await harness.admin("GET", "/health").body == Array(#"{"status":"up"}"#.utf8))
            _ = try await harness.connectedClient()  // one open connection for the listing

            let changed = try await harness.admin("PUT", "/routes/echo/fault", body: #"{"kind":"latency","latencyMs":150}"#)
            #expect(changed.status == 200)
            #expect(try changed.decode(RouteStatus.self).fault == Fault.Wire(kind: "latency", latencyMs: 150))
            let routes = try await harness.admin("GET", "/routes").decode([String: [RouteStatus]].self)["routes"] ?? []
            #expect(routes.map(\.name) == ["echo"])
            #expect(routes.first?.fault == Fault.Wire(kind: "latency", latencyMs: 150))
            #expect(routes.first?.openConnections == 1)
            #expect(routes.first?.listen == "127.0.0.1:\(harness.route.listen.port)")

            for (body, detail) in [(#"{"kind":"latency"}"#, "latencyMs"), (#"{"kind":"nope"}"#, "nope"), ("{", "JSON")] {
                let refused = try await harness.admin("PUT", "/routes/echo/fault", body: body)
                #expect(refused.status == 400)
                #expect(refused.headers["content-type"] == "application/problem+json")
                let problem = try refused.decode(Problem.self)
                #expect(problem.status == 400 && problem.title == "Bad Request" && problem.detail.contains(detail), "\(problem.detail)")
            }
            #expect(try await harness.admin("PUT", "/routes/nowhere/fault", body: #"{"kind":"none"}"#).status == 404)
            #expect(try await harness.admin("GET", "/routes/nowhere").status == 404)
            let wrongMethod = try await harness.admin("POST", "/routes/echo/fault", body: #"{"kind":"none"}"#)
            #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "PUT")
            let tooLarge = try await harness.admin("PUT", "/routes/echo/fault", body: String(repeating: " ", count: 70_000))
            #expect(tooLarge.status == 413)
            #expect(try await harness.admin("GET", "/routes/echo").decode(RouteStatus.self).fault.kind == "latency")
        }
    }
}
