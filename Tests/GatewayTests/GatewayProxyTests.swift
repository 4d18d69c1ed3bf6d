import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Shared
import TestSupport
import Testing

@testable import Gateway

/// The production gateway app (``buildApplication``), listening on a socket,
/// in front of real HTTP upstreams started in the test.
@Suite struct GatewayProxyTests {
    func withGateway(
        _ upstreams: [TestUpstream], _ extra: [String: String] = [:], waitForHealthy: Bool = true,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let environment = [
            // A live server on a free port: the proxy is in the channel pipeline, below the router.
            "HTTP_PORT": "0",
            "UPSTREAM_URLS": upstreams.map(\.url).joined(separator: ","),
            "UPSTREAM_HEALTH_INTERVAL_MS": "50",
            // Generous, so a loaded CI machine doesn't turn answers into timeouts.
            "PER_TRY_TIMEOUT_MS": "2000",
            "REQUEST_DEADLINE_MS": "20000",
            "RETRY_BACKOFF_BASE_MS": "1",
            "RETRY_BACKOFF_CAP_MS": "5",
        ].merging(extra) { $1 }
        let configuration = try GatewayConfiguration(EnvironmentReader(environment: environment))
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .error
        try await buildApplication(configuration, logger: logger).test(.live) { client in
            if waitForHealthy {
                try await waitUntil("gateway sees healthy upstreams") {
                    try await client.execute(uri: "/health", method: .get) { try Self.report($0).status == .pass }
                }
            }
            try await body(client)
        }
    }

    static func report(_ response: TestResponse) throws -> HealthReport {
        try JSONDecoder().decode(HealthReport.self, from: Data(buffer: response.body))
    }

    func get(_ client: any TestClientProtocol, _ uri: String = "/api/items/1", headers: HTTPFields = [:]) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: headers) { $0 }
    }

    /// The response's `Server-Timing` entries (its attempt chain) without
    /// their durations, each checked to be there and in milliseconds.
    static func attemptChain(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let value = response.headers[HTTPField.Name("Server-Timing")!] ?? ""
        return value.split(separator: ", ").map { entry in
            let parts = entry.split(separator: ";dur=")
            #expect(parts.count == 2 && Double(parts[1]) != nil, "\(entry) has no duration in ms", sourceLocation: sourceLocation)
            return String(parts[0])
        }
    }

    /// TRACE must not carry content (RFC 9110 §9.3.8) and AsyncHTTPClient
    /// refuses to send it: forwarded without, instead of a 502.
    @Test func traceIsForwardedWithoutItsContent() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream]) { client in
            let response = try await client.execute(
                uri: "/api/items", method: .trace, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")
            ) { $0 }
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).hasSuffix("body="))
        }
    }

    @Test func forwardsAndPassesHeadersThrough() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream]) { client in
            let response = try await client.execute(
                uri: "/api/items?limit=2", method: .post,
                headers: [.contentType: "application/json", .requestID: "rid-1"],
                body: ByteBuffer(string: #"{"name":"x"}"#)
            ) { $0 }
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).hasSuffix(#"body={"name":"x"}"#))
            #expect(response.headers[.requestID] == "rid-1")
            let seen = upstream.lastHeaders
            #expect(seen["x-request-id"] == "rid-1")
            #expect(seen["x-forwarded-proto"] == "http")
            #expect(ProxyHeaders.isValidTraceparent(seen["traceparent"]))
            // The test client sets `Connection` itself: the fields it names are sent raw.
            let raw = try RawHTTPConnection(port: try #require(client.port))
            try raw.send("GET /api/items/1 HTTP/1.1\r\nHost: t\r\nConnection: close, X-Hop\r\nX-Hop: x\r\n\r\n")
            #expect(try await raw.readAll().text.hasPrefix("HTTP/1.1 200"))
            #expect(upstream.lastHeaders["x-hop"] == nil)
            #expect(upstream.lastHeaders["connection"] != "close, X-Hop")
        }
    }

    @Test func retriesLandOnTheHealthyEndpoint() async throws {
        let failing = try await TestUpstream()
        let healthy = try await TestUpstream()
        failing.set(.status(503))
        try await self.withGateway([failing, healthy]) { client in
            var chains: [[String]] = []
            for _ in 0..<6 {
                let response = try await self.get(client)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("ok from \(healthy.port)"))
                chains.append(Self.attemptChain(response))
            }
            #expect(failing.hits >= 1)
            // Each answer names its tries: the retried ones both.
            let retried = [#"try;desc="127.0.0.1:\#(failing.port) 503""#, #"try;desc="127.0.0.1:\#(healthy.port) 200""#, #"gateway;desc="upstream""#]
            let direct = [#"try;desc="127.0.0.1:\#(healthy.port) 200""#, #"gateway;desc="upstream""#]
            #expect(chains.allSatisfy { $0 == retried || $0 == direct }, "\(chains)")
            #expect(chains.contains(retried), "\(chains)")
        }
    }

    @Test func aPostWithoutIdempotencyKeyIsNotRetried() async throws {
        let failing = try await TestUpstream()
        let healthy = try await TestUpstream()
        failing.set(.status(503))
        healthy.set(.status(503))
        try await self.withGateway([failing, healthy]) { client in
            let response = try await client.execute(uri: "/api/items", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")) { $0 }
            #expect(response.status == .serviceUnavailable)
            #expect(failing.hits + healthy.hits == 1)
            let keyed = try await client.execute(
                uri: "/api/items", method: .post, headers: [.contentType: "application/json", .idempotencyKey: "k1"], body: ByteBuffer(string: "{}")
            ) { $0 }
            #expect(keyed.status == .serviceUnavailable)
            #expect(failing.hits + healthy.hits == 1 + 3, "a keyed POST is retried up to the attempt limit")
        }
    }

    @Test func aHangingUpstreamCostsOnePerTryTimeoutNotTheDeadline() async throws {
        let hanging = try await TestUpstream()
        let healthy = try await TestUpstream()
        try await self.withGateway([hanging, healthy], ["PER_TRY_TIMEOUT_MS": "1000", "REQUEST_DEADLINE_MS": "60000"]) { client in
            hanging.set(.hang)
            for _ in 0..<4 {
                let response = try await self.get(client)
                #expect(response.status == .ok)
            }
            // Each request hit the hanging endpoint at most once before moving on.
            #expect(hanging.hits <= 4)
            #expect(healthy.hits >= 4)
        }
    }

    @Test func theDeadlineGives504AndNeverHangs() async throws {
        let slow = try await TestUpstream()
        try await self.withGateway([slow], ["PER_TRY_TIMEOUT_MS": "5000", "REQUEST_DEADLINE_MS": "150"]) { client in
            slow.set(.hang)
            let response = try await self.get(client)
            #expect(response.status == .gatewayTimeout)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(Self.attemptChain(response) == [#"try;desc="127.0.0.1:\#(slow.port) timeout""#, #"gateway;desc="deadline""#])
        }
    }

    @Test func theBreakerOpensThenHalfOpensAndCloses() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream], ["BREAKER_CONSECUTIVE_FAILURES": "3", "BREAKER_OPEN_MS": "1500", "EJECT_CONSECUTIVE_FAILURES": "1000", "RETRY_MAX_ATTEMPTS": "1"]) { client in
            upstream.set(.status(500))
            for _ in 0..<3 { #expect(try await self.get(client).status == .internalServerError) }
            let refused = try await self.get(client)
            #expect(refused.status == .serviceUnavailable, "the open breaker refuses without calling")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(Self.attemptChain(refused) == [#"gateway;desc="breaker-open""#])
            #expect(upstream.hits == 3)
            let health = try await self.get(client, "/health")
            #expect(String(buffer: health.body).contains(#""output":"open""#))
            upstream.set(.ok)
            // After the open time, half-open probes go through; two successes close it.
            try await waitUntil("a half-open probe succeeds") { try await self.get(client).status == .ok }
            #expect(try await self.get(client).status == .ok, "the second probe closes it")
            try await waitUntil("breaker closed in /health") {
                try await String(buffer: self.get(client, "/health").body).contains(#""output":"closed""#)
            }
        }
    }

    @Test func anOpenBreakerClosesWithNoClientTrafficOnceTheEndpointAnswers() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream], ["BREAKER_CONSECUTIVE_FAILURES": "3", "BREAKER_OPEN_MS": "500", "EJECT_CONSECUTIVE_FAILURES": "1000", "RETRY_MAX_ATTEMPTS": "1"]) { client in
            upstream.set(.status(500))
            for _ in 0..<3 { #expect(try await self.get(client).status == .internalServerError) }
            #expect(try Self.report(try await self.get(client, "/health")).status == .warn, "an open breaker degrades /health")
            upstream.set(.ok)
            // No client request to /api/ from here on: only the gateway's own probes reach the upstream.
            try await waitUntil("the gateway's probes close the breaker") {
                let health = try await self.get(client, "/health")
                return try Self.report(health).status == .pass && String(buffer: health.body).contains(#""output":"closed""#)
            }
            #expect(upstream.hits >= 3 + 2, "two half-open probes went to the API path")
            let metrics = String(buffer: try await self.get(client, "/metrics").body)
            #expect(metrics.contains("gateway_breaker_probes_total{endpoint=\"\(upstream.url)\",outcome=\"200\"} 2"))
        }
    }

    @Test func aSlowAPIKeepsTheBreakerOpenThoughItsHealthPasses() async throws {
        let upstream = try await TestUpstream()
        let settings = [
            "BREAKER_CONSECUTIVE_FAILURES": "3", "BREAKER_OPEN_MS": "300", "EJECT_CONSECUTIVE_FAILURES": "1000", "RETRY_MAX_ATTEMPTS": "1",
            "PER_TRY_TIMEOUT_MS": "200",
        ]
        try await self.withGateway([upstream], settings) { client in
            // /health stays fast and passing; only the API path is slow.
            upstream.set(.delay(.seconds(2)))
            for _ in 0..<3 { #expect(try await self.get(client).status == .gatewayTimeout) }
            // Several open waits pass; every probe times out and opens the breaker again.
            try await waitUntil("a probe timed out") {
                String(buffer: try await self.get(client, "/metrics").body).contains("gateway_breaker_probes_total{endpoint=\"\(upstream.url)\",outcome=\"timeout\"}")
            }
            try await Task.sleep(for: .seconds(1))
            let health = try await self.get(client, "/health")
            #expect(try Self.report(health).status == .warn)
            #expect(!String(buffer: health.body).contains(#""output":"closed""#), "a passing /health alone never closes it")
            upstream.set(.ok)
            try await waitUntil("closed once the API answers in time") { try Self.report(try await self.get(client, "/health")).status == .pass }
        }
    }

    /// A request that every replica answers 500 carries its own fault (a
    /// poison request): it is retried, but counted against no endpoint, so
    /// it opens no breaker and ejects no replica, while a replica that fails
    /// what another serves is still judged (anEjectedEndpointReturnsAfterItHeals).
    @Test func aRequestThatFailsOnEveryEndpointJudgesNone() async throws {
        let a = try await TestUpstream()
        let b = try await TestUpstream()
        let settings = ["BREAKER_CONSECUTIVE_FAILURES": "2", "EJECT_CONSECUTIVE_FAILURES": "2", "RETRY_BUDGET_PERCENT": "100"]
        try await self.withGateway([a, b], settings) { client in
            a.set(.status(500))
            b.set(.status(500))
            for _ in 0..<6 {
                let response = try await self.get(client)
                #expect(response.status == .internalServerError)
                #expect(Self.attemptChain(response).count == 4, "three tries, then the answer: \(Self.attemptChain(response))")
            }
            let health = String(buffer: try await self.get(client, "/health").body)
            #expect(!health.contains("ejected") && !health.contains(#""output":"open""#), "\(health)")
            let metrics = String(buffer: try await self.get(client, "/metrics").body)
            #expect(!metrics.contains("gateway_ejections_total{"), "no ejection")
            // One endpoint failing what the other serves is still counted.
            b.set(.ok)
            for _ in 0..<6 { #expect(try await self.get(client).status == .ok) }
            try await waitUntil("a ejected or its breaker open") {
                let health = String(buffer: try await self.get(client, "/health").body)
                return health.contains("ejected") || health.contains(#""output":"open""#)
            }
        }
    }

    /// Past `MAX_IN_FLIGHT_REQUESTS`, a request is refused at once (no
    /// upstream tried, no wait for a slot), and admitted again once a slot
    /// frees. A shed request without a body keeps its connection for the
    /// next request; one with a body closes it (its body is not read).
    @Test func requestsPastTheInFlightLimitAreShedAtOnce() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream], ["MAX_IN_FLIGHT_REQUESTS": "2"]) { client in
            let port = try #require(client.port)
            func send(_ request: String, on connection: RawHTTPConnection? = nil) throws -> RawHTTPConnection {
                let connection = try connection ?? RawHTTPConnection(port: port)
                try connection.send(request)
                return connection
            }
            func get(_ path: String, close: Bool = true) -> String {
                "GET \(path) HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n"
            }
            upstream.set(.delay(.seconds(1)))
            let slow = try [send(get("/api/items/1")), send(get("/api/items/2"))]
            try await waitUntil("two requests at the upstream") { upstream.hits >= 2 }
            let started = ContinuousClock.now
            let kept = try send(get("/api/items/3", close: false))
            var shed = ""
            while !shed.hasSuffix("}") { shed += String(decoding: try kept.receive(), as: UTF8.self) }
            #expect(ContinuousClock.now - started < .seconds(1), "refused at once, not after a wait")
            #expect(shed.hasPrefix("HTTP/1.1 503"), "\(shed)")
            #expect(shed.contains("Retry-After: 1\r\n"))
            #expect(shed.contains(#""title":"Overloaded""#))
            #expect(shed.contains(#"Server-Timing: gateway;desc="load-shed";dur="#))
            #expect(!shed.lowercased().contains("connection: close"), "a shed request without a body keeps its connection: \(shed)")
            let withBody = try await send("POST /api/items HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}").readAll()
            #expect(withBody.text.hasPrefix("HTTP/1.1 503") && withBody.closed, "a shed request with a body closes: \(withBody.text)")
            #expect(upstream.hits == 2, "the shed requests reached no upstream")
            for connection in slow { #expect(try await connection.readAll().text.hasPrefix("HTTP/1.1 200")) }
            upstream.set(.ok)
            #expect(try await send(get("/api/items/4"), on: kept).readAll().text.hasPrefix("HTTP/1.1 200"), "admitted again, on the kept connection")
            #expect(try await send(get("/metrics")).readAll().text.contains("gateway_load_shed_total 2\n"))
        }
    }

    @Test func theRetryBudgetStopsARetryStorm() async throws {
        let a = try await TestUpstream()
        let b = try await TestUpstream()
        a.set(.status(503))
        b.set(.status(503))
        try await self.withGateway([a, b], ["RETRY_BUDGET_PERCENT": "0", "RETRY_BUDGET_MIN_CONCURRENCY": "0"]) { client in
            for _ in 0..<10 {
                let response = try await self.get(client)
                #expect(response.status == .serviceUnavailable)
                #expect(Self.attemptChain(response).last == #"gateway;desc="retry-budget""#)
            }
            #expect(a.hits + b.hits == 10, "no retry at all with an empty budget")
            let text = try await String(buffer: self.get(client, "/metrics").body)
            #expect(text.contains("gateway_retry_budget_exhausted_total 10"))
        }
    }

    @Test func anEjectedEndpointReturnsAfterItHeals() async throws {
        let flaky = try await TestUpstream()
        let steady = try await TestUpstream()
        // The "no traffic while ejected" window (a /health wait and six
        // requests) must lie inside the ejection: with 3 s it did not always on
        // a loaded 2-core machine (the endpoint returned, failed twice and was
        // ejected again: 2 hits); the ejection lasts 10 s here.
        try await self.withGateway([flaky, steady], ["EJECT_CONSECUTIVE_FAILURES": "2", "EJECT_DURATION_MS": "10000", "BREAKER_CONSECUTIVE_FAILURES": "1000"]) {
            client in
            flaky.set(.status(502))
            for _ in 0..<6 { #expect(try await self.get(client).status == .ok) }
            try await waitUntil("ejected in /health") {
                try await String(buffer: self.get(client, "/health").body).contains("ejected")
            }
            let hitsWhileEjected = flaky.hits
            for _ in 0..<6 { _ = try await self.get(client) }
            if flaky.hits != hitsWhileEjected {
                // Which way it got traffic: a return and a second ejection, or panic mode (steady unhealthy).
                let metrics = try await String(buffer: self.get(client, "/metrics").body).split(separator: "\n")
                    .filter { $0.hasPrefix("gateway_ejections_total") || $0.hasPrefix("gateway_endpoint_healthy") }
                Issue.record("no traffic to an ejected endpoint: \(flaky.hits - hitsWhileEjected) hits; \(metrics)")
            }
            flaky.set(.ok)
            try await waitUntil("back in rotation") {
                _ = try await self.get(client)
                return flaky.hits > hitsWhileEjected
            }
        }
    }

    @Test func nothingHealthyGivesAFast503WithRetryAfter() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream], ["EJECT_CONSECUTIVE_FAILURES": "1000"]) { client in
            upstream.setReady(false)
            try await waitUntil("gateway health fail") { try await Self.report(self.get(client, "/health")).status == .fail }
            let health = try await self.get(client, "/health")
            #expect(String(buffer: health.body).contains("connection refused"), "the upstream's failing check is inside its entry")
            #expect(try await self.get(client, "/health/ready").status == .ok, "readiness is the gateway's own by default")
        }
        let port = try freePort()
        try await self.withGateway([], ["UPSTREAM_URLS": "http://127.0.0.1:\(port)"], waitForHealthy: false) { client in
            let response = try await self.get(client)
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "1")
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func badInputAtTheGateway() async throws {
        let upstream = try await TestUpstream()
        try await self.withGateway([upstream], ["MAX_BODY_BYTES": "100"]) { client in
            // Answered at the head, before the body is read: the connection closes after it.
            let raw = try RawHTTPConnection(port: try #require(client.port))
            try raw.send("POST /api/items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + String(repeating: "x", count: 500))
            let big = try await raw.readAll()
            #expect(big.text.hasPrefix("HTTP/1.1 413"))
            #expect(big.text.lowercased().contains("content-type: application/problem+json"))
            #expect(big.closed)
            let unknown = try await self.get(client, "/nope")
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
            #expect(upstream.hits == 0)
        }
    }
}

@Suite struct GatewayDiscoveryAndAlertingTests {
    @Test func aHostNameStandsForEveryAddressItResolvesTo() async throws {
        #expect(try await HostResolver.shared.resolve("localhost", timeout: .seconds(5)).contains("127.0.0.1"))
        #expect(HostResolver.isNumeric("10.1.2.3") && HostResolver.isNumeric("::1") && !HostResolver.isNumeric("data-api"))
        let configuration = try GatewayConfiguration(EnvironmentReader(environment: ["UPSTREAM_URLS": "http://localhost:8099"]))
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let endpoints = EndpointSet(configuration: configuration, logger: logger)
        #expect(endpoints.all.map(\.url) == ["http://localhost:8099"])
        await endpoints.resolve()
        #expect(endpoints.all.map(\.url).contains("http://127.0.0.1:8099"))
        #expect(!endpoints.all.map(\.url).contains("http://localhost:8099"))
    }

    @Test func theWebhookHearsOfEveryOverallTransition() async throws {
        let upstream = try await TestUpstream()
        let receiver = try await TestUpstream()
        let environment = [
            "UPSTREAM_URLS": upstream.url, "UPSTREAM_HEALTH_INTERVAL_MS": "50", "HEALTH_WEBHOOK_URL": receiver.url + "/api/alerts",
        ]
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .critical
        try await buildApplication(try GatewayConfiguration(EnvironmentReader(environment: environment)), logger: logger).test(.router) { _ in
            // The first transition is to `pass` only if the first poll answered in
            // time; on a loaded machine it can be `unknown -> fail` first, so wait
            // for a posted `pass` before making the upstream unready.
            try await waitUntil("pass posted") { receiver.lastBody.contains(#""to":"pass""#) }
            upstream.setReady(false)
            try await waitUntil("fail posted") {
                receiver.lastHeaders["content-type"] == "application/json" && receiver.lastBody.contains(#""to":"fail""#)
            }
            upstream.setReady(true)
            try await waitUntil("recovery posted") { receiver.lastBody.contains(#""from":"fail""#) }
        }
    }
}
