import Foundation

/// A real Prometheus for one test: Debian's binary (`PROMETHEUS_BIN`, which
/// the `prometheus` stage of `scripts/test` unpacks), a configuration of its
/// own, the given rule files and a temporary storage folder, on a free
/// loopback port. Killed, and its folder removed, when released.
///
/// It scrapes and evaluates every `interval`. A missing binary is an error,
/// never a skip.
public final class PrometheusTestServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let pid: pid_t
    public var url: String { "http://127.0.0.1:\(self.port)" }
    public var logFile: String { Self.logFile(in: self.directory) }

    /// - Parameters:
    ///   - jobs: scrape jobs, each a name and its `host:port` targets.
    ///   - ruleFiles: rule files by name (`alerts.yml`), with their contents.
    public init(jobs: [(name: String, targets: [String])], ruleFiles: [String: String], interval: String = "1s") throws {
        let binary = try Self.binary()
        self.port = try freePort()
        self.directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("prometheus-test-\(UUID().uuidString)")
        let rules = self.directory.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        for (name, contents) in ruleFiles {
            try Data(contents.utf8).write(to: rules.appendingPathComponent(name))
        }
        var config = "global:\n  scrape_interval: \(interval)\n  evaluation_interval: \(interval)\nrule_files: [\"rules/*.yml\"]\nscrape_configs:\n"
        for job in jobs {
            let targets = job.targets.map { "\"\($0)\"" }.joined(separator: ", ")
            config += "  - job_name: \(job.name)\n    static_configs:\n      - targets: [\(targets)]\n"
        }
        let configFile = self.directory.appendingPathComponent("prometheus.yml").path
        try Data(config.utf8).write(to: URL(fileURLWithPath: configFile))
        self.pid = try spawnProcess(
            [
                binary, "--config.file=\(configFile)", "--storage.tsdb.path=\(self.directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(self.port)", "--log.level=warn",
            ],
            outputPath: Self.logFile(in: self.directory)
        )
    }

    deinit {
        let (pid, directory) = (self.pid, self.directory)
        kill(pid, SIGKILL)
        BackgroundTeardown.run {
            waitForExit(pid)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// The last lines of Prometheus's log, for a failure message.
    public func logTail(_ lines: Int = 15) -> String {
        let log = (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private static func logFile(in directory: URL) -> String { directory.appendingPathComponent("prometheus.log").path }

    /// `PROMETHEUS_BIN`, or where `scripts/lib/prometheus.sh` unpacks it by default.
    private static func binary() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let unpacked = (environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/resilient-services/prometheus/usr/bin/prometheus"
        let path = environment["PROMETHEUS_BIN"] ?? unpacked
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestServerError("no Prometheus binary at \(path): run scripts/test (its prometheus stage unpacks Debian's), or set PROMETHEUS_BIN")
        }
        return path
    }
}
