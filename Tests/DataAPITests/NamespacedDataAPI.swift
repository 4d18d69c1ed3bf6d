import Foundation
import Shared
import TestSupport

/// The data-api binary started inside a ``TestNetwork``; the test reads its
/// health from inside the namespace (curl on its loopback), so it sees the
/// service even while the link is down.
final class NamespacedDataAPI: @unchecked Sendable {
    let network: TestNetwork
    let pid: pid_t
    let logPath = NSTemporaryDirectory() + "data-api-ns-\(UUID().uuidString).log"
    let port: String

    init(network: TestNetwork, environment: [String: String]) throws {
        self.network = network
        self.port = environment["HTTP_PORT"] ?? "8081"
        self.pid = try spawnProcess(network.command([try DataAPIProcessTests.binary]), environment: environment, outputPath: self.logPath)
    }

    deinit {
        let (pid, logPath) = (self.pid, self.logPath)
        kill(pid, SIGKILL)
        BackgroundTeardown.run {
            waitForExit(pid)
            try? FileManager.default.removeItem(atPath: logPath)
        }
    }

    var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    /// `/health`, or `nil` when it did not answer within a second.
    func health() async -> HealthReport? {
        let arguments = self.network.command(["curl", "-s", "-m", "1", "http://127.0.0.1:\(self.port)/health"])
        guard let body = try? await offloaded({ try runCommand(arguments) }) else { return nil }
        return try? JSONDecoder().decode(HealthReport.self, from: Data(body.utf8))
    }

    /// Polls `/health` until `condition` holds; returns that report.
    func waitForHealth(_ what: String, timeout: Duration = .seconds(30), _ condition: (HealthReport) -> Bool) async throws -> HealthReport {
        let deadline = ContinuousClock.now + timeout
        var last: HealthReport?
        while ContinuousClock.now < deadline {
            if let report = await self.health() {
                last = report
                if condition(report) { return report }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError("timed out waiting for \(what); last /health: \(String(describing: last))\nlog:\n\(self.log.suffix(3000))")
    }

    /// How long until every check in `keys` passes, from now.
    func timeUntilChecksPass(_ keys: [String]) async throws -> Duration {
        let started = ContinuousClock.now
        _ = try await self.waitForHealth("\(keys) to pass") { report in
            keys.allSatisfy { report.checks?[$0]?.first?.status == .pass }
        }
        return ContinuousClock.now - started
    }
}
