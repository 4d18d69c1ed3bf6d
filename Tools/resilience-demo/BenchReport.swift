#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// `resilience-demo bench-report RESULTS_TSV [JSON_FILE]`: the tables of a
/// scripts/bench run, from the `SECTION TARGET METRIC VALUE` lines it
/// recorded (section `meta`: text about the run; any other: one figure per
/// round or trial). Each figure is the median of its rounds, with the rounds
/// themselves (`METRIC_runs`) and, for detection and recovery, the worst
/// trial (`METRIC_max`). With JSON_FILE the same figures are written there.
///
/// Fails (exit 1, naming what is missing) when the run lacks a figure every
/// full or quick run records: the proxy's req/s for each target, the
/// probes', the read path's, the recovery timings and the footprint.
struct BenchReport {
    struct ReportError: Error, CustomStringConvertible {
        let description: String
    }

    /// `figures[section][target][metric]`: the value of every round, in order.
    private(set) var meta: [String: String] = [:]
    private(set) var figures: [String: [String: [String: [Double]]]] = [:]

    init(tsv: String) {
        for line in tsv.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { continue }
            if fields[0] == "meta" {
                self.meta[fields[2]] = fields[3]
            } else if let value = Double(fields[3]) {
                self.figures[fields[0], default: [:]][fields[1], default: [:]][fields[2], default: []].append(value)
            }
        }
    }

    /// The median of a figure's rounds, rounded to 3 decimals.
    func median(_ section: String, _ target: String, _ metric: String) -> Double? {
        guard let runs = self.figures[section]?[target]?[metric], !runs.isEmpty else { return nil }
        let sorted = runs.sorted()
        let middle = sorted.count / 2
        let value = sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
        return Self.rounded(value)
    }

    /// `section`'s figure for `target` over `reference`'s, rounded to 3 decimals.
    func ratio(_ section: String, _ metric: String, _ target: String, to reference: String) -> Double? {
        guard let value = self.median(section, target, metric), let base = self.median(section, reference, metric), base != 0 else { return nil }
        return Self.rounded(value / base)
    }

    /// The figures each run must have recorded, as `section/target/metric`.
    static let required = [
        "proxy/direct/rps", "proxy/nginx/rps", "proxy/haproxy/rps", "proxy/nio-relay/rps", "proxy/gateway/rps", "proxy/gateway-1loop/rps",
        "proxy/haproxy/cpu_us_per_req", "proxy/nio-relay/cpu_us_per_req", "proxy/gateway/cpu_us_per_req",
        "probes/ready-cached/rps", "probes/health-cached/rps", "read/gateway-cache-hit/rps", "read/gateway-cache-bypass/rps",
        "ceiling/redis-get/rps", "ceiling/pgbench-select/rps", "recovery/detect-api/ms", "recovery/recover-gateway/ms",
        "footprint/gateway/rss_idle_mib", "footprint/data-api/startup_ms",
    ]

    /// What `required` names that this run lacks.
    var missing: [String] {
        Self.required.filter { path in
            let parts = path.split(separator: "/").map(String.init)
            return self.median(parts[0], parts[1], parts[2]) == nil
        }
    }

    // MARK: - JSON

    /// `{"meta": {...}, SECTION: {TARGET: {METRIC: median, METRIC_runs: [...], ...}}}`,
    /// with the proxy's ratios to direct and to HAProxy.
    func json() throws -> Data {
        var root: [String: JSONValue] = ["meta": .object(self.meta.mapValues { .string($0) })]
        for (section, targets) in self.figures {
            var sectionValue: [String: JSONValue] = [:]
            for (target, metrics) in targets {
                var entry: [String: JSONValue] = [:]
                for (metric, runs) in metrics {
                    entry[metric] = self.median(section, target, metric).map { .number($0) } ?? .null
                    if runs.count > 1 { entry[metric + "_runs"] = .array(runs.map { .number($0) }) }
                    if section == "recovery", let worst = runs.max() { entry[metric + "_max"] = .number(worst) }
                }
                if section == "proxy" {
                    for (key, metric, reference) in Self.proxyRatios {
                        if let value = self.ratio(section, metric, target, to: reference) { entry[key] = .number(value) }
                    }
                }
                sectionValue[target] = .object(entry)
            }
            root[section] = .object(sectionValue)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONValue.object(root))
    }

    private static let proxyRatios = [
        ("rps_vs_direct", "rps", "direct"), ("rps_vs_haproxy", "rps", "haproxy"), ("p99_vs_haproxy", "p99_ms", "haproxy"),
        ("cpu_vs_haproxy", "cpu_us_per_req", "haproxy"),
    ]

    // MARK: - Tables

    /// The report as scripts/bench prints it.
    var text: String {
        var out = "\nscripts/bench (\(self.meta["mode"] ?? "?") mode), \(self.meta["date"] ?? "")\n"
        out += "CPU: \(self.meta["cpu"] ?? "?") (\(self.meta["cores"] ?? "?") cores); wrk \(self.meta["wrk_settings"] ?? ""); "
        out += "binaries: \(self.meta["build"] ?? "?")\n"
        out += "load average: \(self.meta["load_average"] ?? "?") at the start, \(self.meta["load_average_after_proxy"] ?? "?") after section 1\n"
        out += self.proxyTable + self.probesTable + self.readTable + self.recoveryTable + self.footprintTable
        return out
    }

    private var proxyTable: String {
        let targets = ["direct", "nginx", "haproxy", "nio-relay", "gateway", "gateway-1loop"]
        let rows = self.loadRows("proxy", targets) { target in
            let ratio = { (metric: String, digits: Int) in Self.format(self.ratio("proxy", metric, target, to: "haproxy"), digits: digits) }
            return [Self.format(self.ratio("proxy", "rps", target, to: "direct"), digits: 3), ratio("rps", 3), ratio("p99_ms", 3)]
                + [Self.format(self.median("proxy", target, "cpu_us_per_req"), digits: 1), ratio("cpu_us_per_req", 2)]
        }
        return Self.table(
            "1. Proxy overhead: GET /api/data from one nginx upstream (medians of the rounds)",
            header: [
                "target", "req/s", "p50 ms", "p99 ms", "req/s vs direct", "req/s vs haproxy", "p99 vs haproxy", "CPU us/req", "CPU vs haproxy", "errors",
            ],
            rows: rows,
            note: "CPU us/req: utime + stime of the proxy's processes over each run, divided by its requests "
                + "(steadier than req/s when the machine is shared). nio-relay: fault-proxy with no fault, a bare SwiftNIO "
                + "TCP relay (one upstream connection per client connection, no HTTP parsed): the floor of a SwiftNIO proxy."
        )
    }

    private var probesTable: String {
        let rows = self.loadRows("probes", ["ready-cached", "ready-direct", "health-cached", "health-direct"]) { target in
            [("pg_stmt_per_1000", 1), ("pg_stmt_per_interval", 2), ("pg_xact_per_1000", 1)].map { metric, digits in
                Self.format(self.median("probes", target, metric), digits: digits)
            }
        }
        let idle = { (metric: String) in Self.format(self.median("probes-baseline", "idle", metric), digits: 1) }
        let note = """
            idle: \(idle("pg_stmt_per_s")) statements/s (\(idle("pg_xact_per_s")) xact/s in pg_stat_database) from the background \
            checks of \(self.meta["data_api_instances"] ?? "?") data-api instances, check interval \(self.meta["health_interval_ms"] ?? "?") ms.
            stmts: pg_stat_statements calls (each check is one single-statement transaction); PG xact: pg_stat_database
            xact_commit+xact_rollback, which PostgreSQL 15 flushes lazily for sessions that only run SELECT 1.
            """
        return Self.table(
            "2. Health probes of data-api (PostgreSQL work caused by the probes, idle rate subtracted)",
            header: ["probe-mode", "req/s", "p50 ms", "p99 ms", "PG stmts/1000 probes", "PG stmts/check interval", "PG xact/1000 (lagging)", "errors"],
            rows: rows, note: note
        )
    }

    private var readTable: String {
        let rows = self.loadRows("read", ["gateway-cache-hit", "gateway-cache-bypass"]) { _ in [] }
        let ceiling = { (target: String, metric: String) in Self.format(self.median("ceiling", target, metric), digits: 3) }
        let note = "ceilings: redis-benchmark -t get \(Self.format(self.median("ceiling", "redis-get", "rps"), digits: 0)) req/s "
            + "(p50 \(ceiling("redis-get", "p50_ms")) ms, p99 \(ceiling("redis-get", "p99_ms")) ms); "
            + "pgbench -S \(Self.format(self.median("ceiling", "pgbench-select", "rps"), digits: 0)) tps "
            + "(avg latency \(ceiling("pgbench-select", "avg_ms")) ms)"
        return Self.table("3. Read path: GET /api/items/{id} through the gateway", header: ["path", "req/s", "p50 ms", "p99 ms", "errors"], rows: rows, note: note)
    }

    private var recoveryTable: String {
        let events = [
            ("detect-api", "detect: data-api /health/ready 503"), ("detect-gateway", "detect: gateway /health 503"),
            ("recover-api", "recover: data-api /health pass"), ("recover-gateway", "recover: gateway /health pass"),
        ]
        let rows = events.compactMap { target, label -> [String]? in
            guard let runs = self.figures["recovery"]?[target]?["ms"] else { return nil }
            return [label, Self.format(self.median("recovery", target, "ms"), digits: 0), Self.format(runs.max(), digits: 0), String(runs.count)]
        }
        return Self.table(
            "4. Detection (from pg_ctl stop -m immediate) and recovery (from PostgreSQL accepting again), polled every 20 ms",
            header: ["event", "median ms", "max ms", "trials"], rows: rows
        )
    }

    private var footprintTable: String {
        let metrics = [("rss_idle_mib", 1), ("anon_idle_mib", 1), ("rss_loaded_mib", 1), ("anon_loaded_mib", 1), ("startup_ms", 0)]
        let rows = (self.figures["footprint"] ?? [:]).keys.sorted().map { service in
            [service] + metrics.map { metric, digits in Self.format(self.median("footprint", service, metric), digits: digits) }
        }
        return Self.table(
            "5. Footprint (VmRSS: all resident pages; RssAnon: private memory, without shared library and binary pages)",
            header: ["service", "RSS idle MiB", "anon idle MiB", "RSS after load MiB", "anon after load MiB", "start-up ms (exec to ready)"],
            rows: rows
        )
    }

    /// One row per target that ran: name, req/s, p50, p99, `extra`, errors.
    private func loadRows(_ section: String, _ targets: [String], extra: (String) -> [String]) -> [[String]] {
        targets.filter { self.figures[section]?[$0] != nil }.map { target in
            let figure = { (metric: String, digits: Int) in Self.format(self.median(section, target, metric), digits: digits) }
            return [target, figure("rps", 0), figure("p50_ms", 3), figure("p99_ms", 3)] + extra(target) + [figure("errors", 0)]
        }
    }

    /// Left-aligned first column, the others right-aligned, two spaces apart.
    static func table(_ title: String, header: [String], rows: [[String]], note: String? = nil) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var out = "\n\(title)\n" + line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in rows { out += line(row) + "\n" }
        if let note { out += note + "\n" }
        return out
    }

    /// `-` for a missing figure; thousands grouped and no decimals from 1,000 up.
    static func format(_ value: Double?, digits: Int) -> String {
        guard let value else { return "-" }
        if abs(value) >= 1000 {
            let digits = String(Int(value.rounded()).magnitude)
            var grouped = ""
            for (index, digit) in digits.enumerated() {
                if index > 0 && (digits.count - index).isMultiple(of: 3) { grouped += "," }
                grouped.append(digit)
            }
            return (value < 0 ? "-" : "") + grouped
        }
        return value.fixed(digits)
    }

    private static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }

    static func main(_ arguments: [String]) -> Int32 {
        guard (1...2).contains(arguments.count) else {
            FileOutput.writeAll("resilience-demo bench-report: usage: bench-report RESULTS_TSV [JSON_FILE]\n")
            return 2
        }
        do {
            let report = BenchReport(tsv: try String(contentsOf: URL(fileURLWithPath: arguments[0]), encoding: .utf8))
            print(report.text, terminator: "")
            if arguments.count == 2 { try report.json().write(to: URL(fileURLWithPath: arguments[1])) }
            guard report.missing.isEmpty else {
                throw ReportError(description: "the run recorded no \(report.missing.joined(separator: ", ")) (see the bench's log above)")
            }
            return 0
        } catch {
            FileOutput.writeAll("resilience-demo bench-report: \(error)\n")
            return 1
        }
    }
}
