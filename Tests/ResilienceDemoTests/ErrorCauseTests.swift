import Foundation
import Testing

@testable import resilience_demo

/// Every client-visible error is attributed from the answer itself; what the
/// answer does not explain stays unattributed (and fails the demo).
struct ErrorCauseTests {
    static func answer(_ status: Int?, timing: String? = nil, body: String = "", error: String? = nil) -> Exchange {
        Exchange(status: status, body: Data(body.utf8), latencyMs: 1, error: error, serverTiming: timing)
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

    @Test func whatTheAnswerDoesNotExplainStaysUnattributed() {
        #expect(ErrorCause.of(Self.answer(503)) == nil, "no Server-Timing: not the gateway's answer")
        #expect(ErrorCause.of(Self.answer(503, timing: #"gateway;desc="something-new";dur=1.0"#)) == nil)
        #expect(ErrorCause.of(Self.answer(nil, error: "HTTPClientError.deadlineExceeded")) == nil, "a client timeout breaks the deadline")
        #expect(ErrorCause.of(Self.answer(nil, error: "connect(descriptor:addr:size:): Connection refused (errno: 111)")) == .gatewayUnreachable)
        #expect(ErrorCause.of(Self.answer(nil, error: "HTTPClientError.remoteConnectionClosed")) == .gatewayUnreachable, "it died mid-answer")
        // What a request cut by the gateway's SIGKILL got on compose (CI run 13).
        #expect(ErrorCause.of(Self.answer(nil, error: "I/O on closed channel")) == .gatewayUnreachable)
    }
}
