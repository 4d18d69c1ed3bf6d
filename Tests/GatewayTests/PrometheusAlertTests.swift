import Foundation
import TestSupport
import Testing

/// deploy/prometheus's rules in a real Prometheus (Debian's binary, see
/// ``PrometheusTestServer``) scraping the real stack of
/// ``EndToEndServers``: two data-api replicas and the gateway in front
/// of real PostgreSQL and Redis.
///
/// The rule files are the shipped ones with one change: every `for:` is
/// `0s`, and Prometheus scrapes and evaluates every second. The shipped
/// `for:` (30 s to 5 min) would make each run last minutes; what this test
/// proves is that the expressions match the metrics the services really
/// export. The `for:` durations are covered by promtool's unit tests
/// (deploy/prometheus/tests, the `prometheus` stage of scripts/test).
@Suite(.serialized) struct PrometheusAlertTests {
    static let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/prometheus/rules")

    @Test func alertsFireWhenPostgreSQLStopsAndResolveWhenItReturns() async throws {
        let stores = try await DataStores.own()
        let stack = try await EndToEndServers(stores).startStack()
        let replicas = stack.replicas.map { "127.0.0.1:\($0.port)" }
        let gateway = "127.0.0.1:\(stack.gateway.port)"
        let prometheus = try PrometheusTestServer(jobs: [("gateway", [gateway]), ("data-api", replicas)], ruleFiles: try Self.rulesWithoutDelays())

        try await Self.wait(prometheus, "every target up") {
            let targets = try await Self.api(prometheus, "targets")["activeTargets"] as? [[String: Any]] ?? []
            return targets.count == 3 && targets.allSatisfy { $0["health"] as? String == "up" }
        }
        // Client reads until two scrapes apart show an increase (a counter's
        // first sample is no increase to rate()).
        var reads: [Int] = []
        try await Self.wait(prometheus, "the API request rate recorded") {
            reads.append(try await EndToEndServers.get(stack.base + "/api/items").status)
            return try await Self.query(prometheus, #"job:http_api_requests:rate5m{job="gateway"} > 0"#).count == 1
        }
        #expect(reads.allSatisfy { $0 == 200 }, "reads through a healthy stack: \(Set(reads))")
        // One more evaluation of every group, on data that holds the healthy stack.
        let evaluated = try await Self.lastEvaluations(prometheus)
        try await Self.wait(prometheus, "another evaluation") {
            let now = try await Self.lastEvaluations(prometheus)
            return Set(now.keys) == Set(evaluated.keys) && now.allSatisfy { evaluated[$0.key] != $0.value }
        }
        let groups = try await Self.api(prometheus, "rules")["groups"] as? [[String: Any]] ?? []
        let rules = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(Set(evaluated.keys) == ["resilient-services-recording", "resilient-services-alerts", "resilient-services-slo"])
        #expect(rules.count == 18)
        #expect(rules.filter { $0["health"] as? String != "ok" }.isEmpty, "rules that failed to evaluate: \(rules.filter { $0["health"] as? String != "ok" })")
        #expect(try await Self.query(prometheus, #"job:http_api_request_error_ratio:rate5m{job="gateway"} == 0"#).count == 1)
        #expect(try await Self.query(prometheus, #"job:http_api_request_duration_seconds:p99_5m{job="gateway"} > 0"#).count == 1)
        #expect(try await Self.alerts(prometheus).isEmpty, "a healthy stack raises no alert")

        try await offloaded { [postgres = stores.postgres.server] in try postgres.stop(mode: "immediate") }
        var firing: [[String: Any]] = []
        try await Self.wait(prometheus, "the outage's alerts firing") {
            _ = try? await EndToEndServers.get(stack.base + "/api/items")  // client reads, failing: the SLO's errors
            firing = try await Self.alerts(prometheus).filter { $0["state"] as? String == "firing" }
            let keys = Set(firing.map { Self.key($0) })
            let expected = Set(replicas.flatMap { ["CriticalCheckFailing \($0)", "ServiceNotReady \($0)"] } + ["NoHealthyUpstream \(gateway)", "ErrorBudgetBurnFast -"])
            return expected.isSubset(of: keys)
        }
        let critical = try #require(firing.first { Self.key($0) == "CriticalCheckFailing \(replicas[0])" })
        let labels = critical["labels"] as? [String: String] ?? [:]
        let annotations = critical["annotations"] as? [String: String] ?? [:]
        #expect(labels["severity"] == "critical")
        #expect(labels["check"] == "postgres:responseTime")
        #expect(annotations["summary"] == "data-api \(replicas[0]): critical check postgres:responseTime failing")
        #expect(annotations["runbook"]?.isEmpty == false)
        #expect(firing.filter { Self.key($0).hasPrefix("ServiceNotReady") }.allSatisfy { ($0["labels"] as? [String: String])?["severity"] == "warning" })

        try await offloaded { [postgres = stores.postgres.server] in try postgres.start() }
        var active: [String] = []
        do {
            try await Self.wait(prometheus, "the outage's alerts resolved") {
                active = try await Self.alerts(prometheus).map { Self.key($0) }
                return active.allSatisfy { $0.hasPrefix("ErrorBudgetBurn") }  // their windows (5 min and more) still hold the errors
            }
        } catch {
            throw TestServerError("\(error)\nstill active: \(active)")
        }
    }

    /// The shipped rule files, each `for:` set to `0s`.
    static func rulesWithoutDelays() throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.rulesDirectory.path) where name.hasSuffix(".yml") {
            let text = try String(contentsOf: Self.rulesDirectory.appendingPathComponent(name), encoding: .utf8)
            files[name] = text.replacing(/^( +)for: \S+$/.anchorsMatchLineEndings()) { "\($0.1)for: 0s" }
        }
        #expect(files.values.contains { $0.contains("for: 0s") }, "no `for:` found in \(Self.rulesDirectory.path)")
        return files
    }

    /// `alertname instance` (`-` when the alert has no instance, like the SLO's).
    static func key(_ alert: [String: Any]) -> String {
        let labels = alert["labels"] as? [String: String] ?? [:]
        return "\(labels["alertname"] ?? "?") \(labels["instance"] ?? "-")"
    }

    /// Waits as ``waitUntil(timeout:_:_:)`` does; a failure carries Prometheus's log.
    static func wait(_ prometheus: PrometheusTestServer, _ what: String, _ condition: () async throws -> Bool) async throws {
        do {
            try await waitUntil(timeout: .seconds(60), what, condition)
        } catch {
            throw TestServerError("\(error); Prometheus's log ends:\n\(prometheus.logTail())")
        }
    }

    /// The `data` of `GET /api/v1/PATH` (JSON, status `success`).
    static func api(_ prometheus: PrometheusTestServer, _ path: String) async throws -> [String: Any] {
        let response = try await EndToEndServers.get(prometheus.url + "/api/v1/" + path)
        let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        guard response.status == 200, json?["status"] as? String == "success", let data = json?["data"] as? [String: Any] else {
            throw TestServerError("GET /api/v1/\(path): \(response.status) \(response.body.prefix(300))")
        }
        return data
    }

    /// The result of an instant query: one entry per series.
    static func query(_ prometheus: PrometheusTestServer, _ expression: String) async throws -> [[String: Any]] {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        return try await Self.api(prometheus, "query?query=" + encoded)["result"] as? [[String: Any]] ?? []
    }

    /// Active alerts (pending or firing).
    static func alerts(_ prometheus: PrometheusTestServer) async throws -> [[String: Any]] {
        try await Self.api(prometheus, "alerts")["alerts"] as? [[String: Any]] ?? []
    }

    /// Each rule group's last evaluation time.
    static func lastEvaluations(_ prometheus: PrometheusTestServer) async throws -> [String: String] {
        let groups = try await Self.api(prometheus, "rules")["groups"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: groups.compactMap { group in
            (group["name"] as? String).map { ($0, group["lastEvaluation"] as? String ?? "") }
        })
    }
}
