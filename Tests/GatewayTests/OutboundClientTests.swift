import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import Gateway

/// The gateway's own outbound calls (health checks, breaker probes, the webhook).
@Suite struct OutboundClientTests {
    let client = OutboundClient(group: MultiThreadedEventLoopGroup.singleton, connectTimeout: .seconds(1))

    @Test func sendsTheRequestAndReadsTheWholeResponse() async throws {
        let upstream = try await TestUpstream()
        let url = try #require(URL(string: upstream.url + "/api/alerts?x=1"))
        let response = try await self.client.execute(
            .POST, "/api/alerts?x=1", to: OutboundClient.Destination(url), headers: ["Content-Type": "application/json"],
            body: ByteBuffer(string: #"{"to":"fail"}"#), timeout: .seconds(5), maxBodyBytes: 1024
        )
        #expect(response.status == 200)
        #expect(String(buffer: response.body) == #"ok from \#(upstream.port) body={"to":"fail"}"#)
        #expect(upstream.lastTarget == "/api/alerts?x=1")
        #expect(OutboundClient.Destination(url).authority == "127.0.0.1:\(upstream.port)")
        #expect(upstream.lastHeaders["content-type"] == "application/json")
    }

    @Test func aSilentUpstreamTimesOut() async throws {
        let upstream = try await TestUpstream()
        upstream.set(.hang)
        let url = try #require(URL(string: upstream.url))
        await #expect(throws: ProxyError.perTryTimeout) {
            try await self.client.execute(.GET, "/api/data", to: OutboundClient.Destination(url), timeout: .milliseconds(200), maxBodyBytes: 1024)
        }
    }

    @Test func aClosedPortIsAConnectFailure() async throws {
        let url = try #require(URL(string: "http://127.0.0.1:\(try freePort())"))
        do {
            _ = try await self.client.execute(.GET, "/health", to: OutboundClient.Destination(url), timeout: .seconds(2), maxBodyBytes: 1024)
            Issue.record("a closed port answered")
        } catch {
            #expect(ProxyError.classify(error) == .connect)
            #expect(ProxyError.describe(error) == "connection refused")
        }
    }

    @Test func aBodyOverTheLimitFailsTheCall() async throws {
        let upstream = try await TestUpstream()
        let url = try #require(URL(string: upstream.url))
        await #expect(throws: NIOTooManyBytesError.self) {
            try await self.client.execute(.GET, "/api/data", to: OutboundClient.Destination(url), timeout: .seconds(5), maxBodyBytes: 4)
        }
    }

    @Test func anIPv6URLKeepsItsBracketsInHost() throws {
        let destination = OutboundClient.Destination(try #require(URL(string: "http://[::1]:8099/hook")))
        #expect(destination.host == "::1")
        #expect(destination.authority == "[::1]:8099")
        #expect(destination.address != nil)
    }
}
