import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs the chosen scenarios one after the other, prints each summary (and a
/// table when there are several), writes the JSON and the incident report;
/// `true` when all passed.
struct DemoRun: Sendable {
    let options: DemoOptions

    func run() async -> Bool {
        var configuration = HTTPClient.Configuration()
        // The deadline of each exchange only covers the response head; the
        // read timeout bounds a body that stalls, so no exchange waits forever.
        configuration.timeout = .init(connect: .seconds(1), read: .seconds(10))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 96)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let runner = ScenarioRunner(options: self.options, client: client)
        var results: [ScenarioResult] = []
        var recordings: [IncidentReport.Scenario] = []
        var errors: [String: String] = [:]
        for scenario in self.options.scenarios {
            do {
                let recording = try await runner.run(scenario)
                print(ReportPrinter.summary(recording.result))
                results.append(recording.result)
                recordings.append(recording)
            } catch {
                print("-- \(scenario.name): ERROR \(error)")
                errors[scenario.name] = String(describing: error)
                // Whatever the scenario left (a stopped server, chaos on) must not spill into the next.
                _ = try? await self.options.hook.run("restore", scenario.name)
                _ = await Self.restore(self.options, client: client)
            }
        }
        if self.options.scenarios.count > 1 {
            print(ReportPrinter.table(results, errors: errors))
        }
        if let path = self.options.jsonPath {
            do { try ReportPrinter.writeJSON(results, errors: errors, to: path) } catch {
                print("resilience-demo: could not write \(path): \(error)")
                errors["json"] = "not written"
            }
        }
        if let path = self.options.reportPath {
            do {
                try IncidentReport(generatedAt: Date().formatted(.iso8601), scenarios: recordings).write(to: path)
                print("incident report: \(path)")
            } catch {
                print("resilience-demo: could not write \(path): \(error)")
                errors["report"] = "not written"
            }
        }
        try? await client.shutdown()
        return errors.isEmpty && results.allSatisfy(\.passed)
    }

    /// Lifts every network fault and turns chaos off on every replica, as
    /// far as `options` say where they are; what could not be done, if anything.
    static func restore(_ options: DemoOptions, client: HTTPClient) async -> String? {
        var failed: [String] = []
        if let url = options.faultProxyURL {
            do { try await FaultProxyClient(client: client, url: url).liftAll() } catch { failed.append(String(describing: error)) }
        }
        if let tokenFile = options.adminTokenFile, !options.replicaURLs.isEmpty {
            do { try await ChaosClient(client: client, replicaURLs: options.replicaURLs, tokenFile: tokenFile).setAll(ChaosClient.off) } catch {
                failed.append(String(describing: error))
            }
        }
        return failed.isEmpty ? nil : failed.joined(separator: "; ")
    }
}
