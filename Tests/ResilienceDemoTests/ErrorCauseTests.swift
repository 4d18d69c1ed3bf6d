import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import resilience_demo

/// Every client-visible error is attributed from the answer itself; what the
/// answer does not explain stays unattributed (and fails the demo).
struct ErrorCauseTests {
    static func answer(_ status: Int?, timing: String? = nil, body: String = "", failure: (any Error)? = nil) -> Exchange {
        Exchange(status: status, body: Data(body.utf8), latencyMs: 1, failure: failure.map(TransportFailure.init), serverTiming: timing)
    }

    @Test func theGatewaysOwnAnswersByTheirCause() {
        let cases: [(String, ErrorCause)] = [
            (#"gateway;desc="no-healthy-upstream";dur=0.3"#, .noHealthyUpstream),
            (#"gateway;desc="breaker-open";dur=0.2"#, .breakerOpen),
            (#"try;desc="10.89.0.5:8081 503";dur=3.1, gateway;desc="retry-budget";dur=3.5"#, .retryBudget),
            (#"try;desc="10.89.0.5:8081 timeout";dur=2000.0, gateway;desc="deadline";dur=2000.4"#, .deadline),
            (#"try;desc="10.89.0.5:8081 reset";dur=1.0, gateway;desc="bad-gateway";dur=1.2"#, .badGateway),
            (#"gateway;desc="load-shed";dur=0.1"#, .loadShed),
        ]
        for (timing, cause) in cases {
            #expect(ErrorCause.of(Self.answer(503, timing: timing)) == cause, "\(timing)")
        }
    }

    @Test func anUpstreamAnswerByDataAPIsProblemTitle() {
        let timing = #"try;desc="10.89.0.5:8081 503";dur=4.0, try;desc="10.89.0.6:8081 503";dur=3.0, gateway;desc="upstream";dur=8.1"#
        #expect(ErrorCause.of(Self.answer(503, timing: timing, body: #"{"title":"Database unavailable","status":503}"#)) == .dependencyDown)
        #expect(ErrorCause.of(Self.answer(500, timing: timing, body: #"{"title":"Injected fault","status":500}"#)) == .injectedFault)
        #expect(ErrorCause.of(Self.answer(503, timing: timing, body: #"{"title":"Starting","status":503}"#)) == .replicaStarting)
        // A refused retry of an answer that explains itself: the answer's reason counts.
        let refused = #"try;desc="10.89.0.5:8081 503";dur=4.0, gateway;desc="retry-budget";dur=4.2"#
        #expect(ErrorCause.of(Self.answer(503, timing: refused, body: #"{"title":"Database unavailable"}"#)) == .dependencyDown)
        #expect(ErrorCause.of(Self.answer(500, timing: timing, body: #"{"title":"Internal Server Error"}"#)) == nil)
    }

    @Test func theGatewaysOwnTimeFromItsServerTiming() {
        #expect(ErrorCause.gatewayDurationMs(#"try;desc="10.0.0.5:8081 timeout";dur=2000.3, gateway;desc="deadline";dur=2001.0"#) == 2001.0)
        #expect(ErrorCause.gatewayDurationMs(#"gateway;desc="load-shed";dur=0.0"#) == 0)
        #expect(ErrorCause.gatewayDurationMs(#"try;desc="10.0.0.5:8081 503";dur=3.1"#) == nil)
        #expect(ErrorCause.gatewayDurationMs(nil) == nil)
    }

    @Test func whatTheAnswerDoesNotExplainStaysUnattributed() {
        #expect(ErrorCause.of(Self.answer(503)) == nil, "no Server-Timing: not the gateway's answer")
        #expect(ErrorCause.of(Self.answer(503, timing: #"gateway;desc="something-new";dur=1.0"#)) == nil)
        #expect(ErrorCause.of(Self.answer(nil, failure: HTTPClientError.deadlineExceeded)) == nil, "a client timeout breaks the deadline")
        #expect(ErrorCause.of(Self.answer(nil, failure: IOError(errnoCode: ECONNREFUSED, reason: "connect"))) == .gatewayUnreachable)
        #expect(ErrorCause.of(Self.answer(nil, failure: HTTPClientError.remoteConnectionClosed)) == .gatewayUnreachable, "it died mid-answer")
        // What a request cut by the gateway's SIGKILL got on compose (CI run 13).
        #expect(ErrorCause.of(Self.answer(nil, failure: ChannelError.ioOnClosedChannel)) == .gatewayUnreachable)
        #expect(ErrorCause.of(Self.answer(nil, failure: HTTPClientError.invalidURL)) == nil)
    }

    /// The errors real exchanges end with, classified by their type.
    @Test func realTransportErrorsByTheirType() async throws {
        let client = HTTPClient.shared
        // Nothing listens on a port just released.
        let port = try freePort()
        let refused = await Exchange.perform(client, .GET, "http://127.0.0.1:\(port)/", timeoutMs: 2000)
        #expect(refused.status == nil && refused.failure == .unreachable, "\(refused.error ?? "")")
        // A server that accepts and never answers: the client's timeout.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let timedOut = await Exchange.perform(client, .GET, "http://127.0.0.1:\(silent.localAddress?.port ?? 0)/", timeoutMs: 300)
        #expect(timedOut.status == nil && timedOut.failure == .timedOut, "\(timedOut.error ?? "")")
        #expect(ErrorCause.of(timedOut) == nil)
    }
}
