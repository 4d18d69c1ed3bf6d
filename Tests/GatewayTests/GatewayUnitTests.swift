import Foundation
import HTTPTypes
import Logging
import Shared
import Testing

@testable import Gateway

@Suite struct LoadBalancerTests {
    typealias C = LoadBalancer.Candidate

    @Test func roundRobinOverAvailableEndpoints() {
        let all = [C(available: true, tried: false), C(available: true, tried: false), C(available: true, tried: false)]
        #expect(LoadBalancer.order(all, rotation: 0).map(\.index) == [0, 1, 2])
        #expect(LoadBalancer.order(all, rotation: 1).map(\.index) == [1, 2, 0])
        #expect(LoadBalancer.order(all, rotation: 5).first?.index == 2)
    }

    @Test func unavailableAndTriedComeLast() {
        let candidates = [C(available: false, tried: false), C(available: true, tried: true), C(available: true, tried: false)]
        let order = LoadBalancer.order(candidates, rotation: 0)
        #expect(order.map(\.index) == [2, 0, 1])
        #expect(order.map(\.mode) == [.normal, .panic, .repeatTry])
    }

    @Test func panicModeWhenNothingIsAvailable() {
        let candidates = [C(available: false, tried: false), C(available: false, tried: false)]
        #expect(LoadBalancer.order(candidates, rotation: 0).allSatisfy { $0.mode == .panic })
        #expect(LoadBalancer.order([], rotation: 3).isEmpty)
    }
}

@Suite struct ProxyHeadersTests {
    @Test func removesHopByHopAndConnectionListedFields() {
        var fields = HTTPFields()
        fields[.connection] = "keep-alive, X-Secret-Hop"
        fields[HTTPField.Name("Keep-Alive")!] = "timeout=5"
        fields[.transferEncoding] = "chunked"
        fields[HTTPField.Name("X-Secret-Hop")!] = "1"
        fields[.accept] = "application/json"
        fields[.requestID] = "rid"
        let result = ProxyHeaders.endToEnd(fields)
        #expect(result.map(\.name.canonicalName).sorted() == ["accept", "x-request-id"])
    }

    @Test func addsForwardingFieldsAndKeepsAValidTraceparent() {
        var fields = HTTPFields()
        fields[.xForwardedFor] = "10.0.0.1"
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        fields[ProxyHeaders.traceparent] = trace
        let result = ProxyHeaders.upstreamRequest(fields, authority: "example.test", clientAddress: "192.0.2.7", newTraceparent: { "new" })
        #expect(result[.xForwardedFor] == "10.0.0.1, 192.0.2.7")
        #expect(result[.xForwardedProto] == "http")
        #expect(result[.xForwardedHost] == "example.test")
        #expect(result[ProxyHeaders.traceparent] == trace)
    }

    @Test func startsATraceWhenTheIncomingOneIsInvalid() {
        for bad in [nil, "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"] {
            var fields = HTTPFields()
            if let bad { fields[ProxyHeaders.traceparent] = bad }
            let result = ProxyHeaders.upstreamRequest(fields, authority: nil, clientAddress: nil, newTraceparent: ProxyHeaders.newTraceparent)
            #expect(ProxyHeaders.isValidTraceparent(result[ProxyHeaders.traceparent]), "\(bad ?? "nil")")
            #expect(result[ProxyHeaders.traceparent] != bad)
        }
    }

    @Test func newTracesAreValidAndDistinct() {
        let traces = (0..<1000).map { _ in ProxyHeaders.newTraceparent() }
        #expect(traces.allSatisfy(ProxyHeaders.isValidTraceparent))
        #expect(traces.allSatisfy { $0.utf8.count == 55 && $0.hasPrefix("00-") && $0.hasSuffix("-01") })
        #expect(Set(traces).count == traces.count)
        #expect(!ProxyHeaders.isValidTraceparent("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"))
        #expect(!ProxyHeaders.isValidTraceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"))
    }
}

@Suite struct EndpointChoiceTests {
    /// Found by the replica-hang and postgres-outage demos: an open breaker
    /// half-opens only when a call is tried, and an open endpoint was never
    /// offered one while another endpoint was available, so it stayed open
    /// (and the gateway `warn`) for as long as the other carried the load.
    @Test func anOpenBreakerIsOfferedTrafficAgainAfterItsWait() throws {
        let configuration = try GatewayConfiguration(
            ConfigReader(environment: [
                "UPSTREAM_URLS": "http://127.0.0.1:9001,http://127.0.0.1:9002", "BREAKER_CONSECUTIVE_FAILURES": "1", "BREAKER_OPEN_MS": "1000",
                "EJECT_CONSECUTIVE_FAILURES": "1000",
            ])
        )
        let endpoints = EndpointSet(configuration: configuration, logger: Logger(label: "test"))
        let start = ContinuousClock.now
        let broken = endpoints.all[0]
        #expect(broken.tryAcquire(now: start))
        #expect(broken.recordCall(success: false, now: start, ejectAfter: 1000).breakerChanged == .open)

        func picks(at now: ContinuousClock.Instant) -> [String] {
            (0..<4).compactMap { _ in
                guard let (endpoint, _) = endpoints.pick(excluding: [], now: now) else { return nil }
                _ = endpoint.recordCall(success: true, now: now, ejectAfter: 1000)
                return endpoint.url
            }
        }
        #expect(!picks(at: start + .milliseconds(500)).contains(broken.url), "open: skipped while the other endpoint is available")
        #expect(picks(at: start + .milliseconds(1100)).contains(broken.url), "wait over: offered a half-open probe")
        #expect(broken.snapshot.breaker == .closed, "two probe successes close it")
    }

    /// issue 15: after a PostgreSQL outage, the gateway ejected a replica
    /// that had just recovered, for the calls panic mode had sent it while
    /// both replicas failed their checks, and kept it out for the ejection
    /// time (1.5–1.9 s on compose).
    @Test func failuresWhileFailingItsChecksNeverEjectAnEndpoint() throws {
        let configuration = try GatewayConfiguration(
            ConfigReader(environment: ["UPSTREAM_URLS": "http://127.0.0.1:9001", "EJECT_CONSECUTIVE_FAILURES": "3"])
        )
        let endpoint = EndpointSet(configuration: configuration, logger: Logger(label: "test")).all[0]
        let now = ContinuousClock.now
        func check(_ success: Bool) -> Bool {
            endpoint.recordCheck(success: success, report: nil, latencyMilliseconds: nil, output: nil, now: now, ejectionDuration: .seconds(30)).healthChanged
        }
        func fail(times: Int) -> [Bool] {
            (0..<times).map { _ in
                _ = endpoint.tryAcquire(now: now)
                return endpoint.recordCall(success: false, now: now, ejectAfter: 3).ejected
            }
        }
        #expect(!endpoint.snapshot.healthy, "not checked yet")
        #expect(fail(times: 5) == [false, false, false, false, false], "unhealthy: panic-mode failures do not eject")
        #expect(check(true) && endpoint.snapshot.healthy)
        #expect(fail(times: 2) == [false, false], "turning healthy cleared the count of its failing time")
        #expect(fail(times: 1) == [true], "healthy: the third consecutive failure ejects")
        #expect(endpoint.snapshot.ejected)
    }
}

@Suite struct RetryPolicyTests {
    @Test func idempotentMethodsAndKeyedPosts() {
        #expect(RetryPolicy.isIdempotent(.get, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.put, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.delete, headers: [:]))
        #expect(!RetryPolicy.isIdempotent(.post, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.post, headers: [.idempotencyKey: "k"]))
        #expect(!RetryPolicy.isIdempotent(.patch, headers: [:]))
    }

    @Test func retryableStatusesAndRetryAfter() {
        #expect([500, 502, 503, 504].allSatisfy(RetryPolicy.isRetryableStatus))
        #expect(![200, 400, 404, 409, 422, 501].contains(where: RetryPolicy.isRetryableStatus))
        #expect(RetryPolicy.retryAfter("2") == .seconds(2))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
    }
}

@Suite struct GatewayHealthAggregationTests {
    func endpoint(healthy: Bool = true, ejected: Bool = false, breaker: CircuitBreaker.State = .closed, reported: HealthStatus? = .pass) -> Endpoint.Snapshot {
        Endpoint.Snapshot(
            url: "http://e", healthy: healthy, ejected: ejected, breaker: breaker,
            report: reported.map { HealthReport(status: $0) }, latencyMilliseconds: 1, checkedAt: nil, output: nil, outstanding: 0
        )
    }

    @Test func worstStatusWinsWithTheRules() {
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint()], own: .pass) == .pass)
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint(healthy: false)], own: .pass) == .warn, "one out")
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint(ejected: true)], own: .pass) == .warn, "one ejected")
        #expect(GatewayHealth.status([self.endpoint(), self.endpoint(breaker: .open)], own: .pass) == .warn, "a breaker open")
        #expect(GatewayHealth.status([self.endpoint(reported: .warn)], own: .pass) == .warn, "an upstream warns")
        #expect(GatewayHealth.status([self.endpoint(healthy: false), self.endpoint(ejected: true)], own: .pass) == .fail, "none healthy")
        #expect(GatewayHealth.status([], own: .pass) == .fail)
        #expect(GatewayHealth.status([self.endpoint()], own: .warn) == .warn)
    }
}

@Suite struct GatewayConfigurationTests {
    @Test func defaults() throws {
        let configuration = try GatewayConfiguration(ConfigReader(environment: [:]))
        #expect(configuration.http.port == 8080)
        #expect(configuration.upstreams.map(\.absoluteString) == ["http://127.0.0.1:8081", "http://127.0.0.1:8082"])
        #expect(configuration.readyRequiresUpstream == false)
    }

    @Test(arguments: [
        ("UPSTREAM_URLS", "ftp://x"), ("UPSTREAM_URLS", "http://user:pw@h:1"), ("RETRY_MAX_ATTEMPTS", "0"),
        ("BREAKER_FAILURE_RATE", "2"), ("HEALTH_WEBHOOK_URL", "nope"), ("RETRY_BACKOFF_CAP_MS", "1"),
        ("CLIENT_MAX_HEADER_BYTES", "100"), ("CLIENT_MAX_HEADERS", "0"), ("CLIENT_HEADER_TIMEOUT_MS", "0"), ("CLIENT_IDLE_TIMEOUT_MS", "x"),
    ])
    func rejectsBadSettings(key: String, value: String) {
        do {
            _ = try GatewayConfiguration(ConfigReader(environment: [key: value]))
            Issue.record("accepted \(key)=\(value)")
        } catch let error as ConfigError {
            #expect(error.setting == key)
            #expect(!error.description.contains("pw@"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
