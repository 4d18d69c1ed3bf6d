import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// `resilience-demo compose ...`: what .ci/compose-e2e reads from the
/// containers and from Prometheus, one line each for its shell to act on.
///
///     compose start-order INSPECT_FILE TICKS_FILE    (`podman inspect` of the project's containers)
///     compose prometheus URL
///
/// - `start-order`: each container's start and first passing healthcheck
///   (from the ticker's `EPOCH_S CONTAINER_ID STATUS` lines) as `INFO` lines,
///   `ALL SECONDS` (when the last gateway was healthy, after the first
///   container started), and an `ERR` line for each container started
///   before a dependency was healthy (data-api after PostgreSQL and Redis,
///   the gateway after data-api, Prometheus after the gateway), a missing
///   service, or a replica count other than two.
/// - `prometheus`: `JOB:UP/TOTAL ...` per scrape job, the loaded rule
///   groups (comma-separated), `rule-errors:N`; or `unreachable`.
enum ComposeChecks {
    struct Container: Decodable {
        struct Config: Decodable { var Labels: [String: String]? }
        struct State: Decodable { var StartedAt: String? }
        var Id: String
        var Name: String
        var Config: Config
        var State: State
    }

    static func main(_ arguments: [String]) async -> Int32 {
        switch (arguments.first, arguments.count) {
        case ("start-order", 3):
            do {
                let containers = try JSONDecoder().decode([Container].self, from: Data(contentsOf: URL(fileURLWithPath: arguments[1])))
                let ticks = try String(contentsOf: URL(fileURLWithPath: arguments[2]), encoding: .utf8)
                print(Self.startOrder(containers, ticks: ticks).joined(separator: "\n"))
                return 0
            } catch {
                FileOutput.writeAll("resilience-demo compose start-order: \(error)\n")
                return 1
            }
        case ("prometheus", 2):
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            print(await Self.prometheusView(client, url: arguments[1]))
            try? await client.shutdown()
            return 0
        default:
            FileOutput.writeAll("usage: resilience-demo compose start-order INSPECT_FILE TICKS_FILE | compose prometheus URL\n")
            return 2
        }
    }

    /// The lines of `start-order` (see the type's comment).
    static func startOrder(_ containers: [Container], ticks: String) -> [String] {
        var healthy: [String: Double] = [:]
        for line in ticks.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[2] == "0", let at = Double(fields[0]), healthy[String(fields[1])] == nil else { continue }
            healthy[String(fields[1])] = at
        }
        struct Seen {
            var name: String
            var started: Double
            var healthy: Double?
        }
        var byService: [String: [Seen]] = [:]
        for container in containers {
            let service = container.Config.Labels?["com.docker.compose.service"] ?? "?"
            let started = container.State.StartedAt.flatMap(Self.epochSeconds) ?? 0
            let firstHealthy = healthy[container.Id] ?? healthy[String(container.Id.prefix(12))]
            byService[service, default: []].append(Seen(name: container.Name, started: started, healthy: firstHealthy))
        }
        var errors: [String] = []
        for service in ["postgres", "redis", "data-api", "gateway"] where byService[service, default: []].isEmpty {
            errors.append("no \(service) container")
        }
        let replicas = byService["data-api", default: []].count
        if replicas != 2 { errors.append("\(replicas) data-api replicas, expected 2") }
        for (dependency, dependent) in [("postgres", "data-api"), ("redis", "data-api"), ("data-api", "gateway"), ("gateway", "prometheus")] {
            for before in byService[dependency, default: []] {
                for after in byService[dependent, default: []] {
                    if let at = before.healthy {
                        if !(at < after.started) {
                            errors.append("\(after.name) started at \(after.started.fixed(3)), before \(before.name) was healthy (\(at.fixed(3)))")
                        }
                    } else {
                        errors.append("\(dependency) \(before.name) never recorded healthy")
                    }
                }
            }
        }
        let all = byService.values.flatMap { $0 }.sorted { $0.started < $1.started }
        let first = all.first?.started ?? 0
        var lines = all.map { seen in
            let healthy = seen.healthy.map { "healthy +\(($0 - first).fixed(2))s" } ?? "healthy  never"
            return "INFO \(seen.name + String(repeating: " ", count: max(0, 40 - seen.name.count))) started +\((seen.started - first).fixed(2))s  \(healthy)"
        }
        if let gateway = byService["gateway", default: []].compactMap(\.healthy).max() {
            lines.append("ALL \((gateway - first).fixed(1))")
        }
        return lines + errors.map { "ERR \($0)" }
    }

    /// Seconds since the epoch of an RFC 3339 time as podman writes it
    /// (`2026-12-04T20:35:03.123456789Z`, or with an offset): the fraction
    /// is kept to the nanosecond.
    static func epochSeconds(_ text: String) -> Double? {
        guard text.count >= 20 else { return nil }
        let seconds = String(text.prefix(19))
        var rest = text.dropFirst(19)
        var fraction = 0.0
        if rest.first == "." {
            let digits = rest.dropFirst().prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            rest = rest.dropFirst(1 + digits.count)
        }
        let zone = String(rest.prefix { $0 != " " })
        guard let date = try? Date(seconds + (zone.isEmpty ? "Z" : zone), strategy: .iso8601) else { return nil }
        return date.timeIntervalSince1970 + fraction
    }

    /// The `prometheus` line (see the type's comment).
    static func prometheusView(_ client: HTTPClient, url: String) async -> String {
        struct Targets: Decodable {
            struct Data: Decodable {
                struct Target: Decodable {
                    var labels: [String: String]
                    var health: String
                }
                var activeTargets: [Target]
            }
            var data: Data
        }
        struct Rules: Decodable {
            struct Data: Decodable {
                struct Group: Decodable {
                    struct Rule: Decodable { var health: String? }
                    var name: String
                    var rules: [Rule]
                }
                var groups: [Group]
            }
            var data: Data
        }
        let targets = await Exchange.perform(client, .GET, url + "/api/v1/targets?state=active", timeoutMs: 5000)
        let rules = await Exchange.perform(client, .GET, url + "/api/v1/rules", timeoutMs: 5000)
        guard let active = try? JSONDecoder().decode(Targets.self, from: targets.body).data.activeTargets,
            let groups = try? JSONDecoder().decode(Rules.self, from: rules.body).data.groups
        else { return "unreachable" }
        var jobs: [String: [String]] = [:]
        for target in active { jobs[target.labels["job"] ?? "?", default: []].append(target.health) }
        let jobText = jobs.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.filter { $0 == "up" }.count)/\($0.value.count)" }
        let errors = groups.flatMap(\.rules).filter { $0.health == "err" }.count
        return (jobText + [groups.map(\.name).sorted().joined(separator: ","), "rule-errors:\(errors)"]).joined(separator: " ")
    }
}
