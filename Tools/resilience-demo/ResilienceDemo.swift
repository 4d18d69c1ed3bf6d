import AsyncHTTPClient
import Shared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience-demo`: the driver of scripts/demo.
@main
struct ResilienceDemo {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "ablation-plan":
            return Self.ablationPlan(Array(arguments.dropFirst()))
        case "ablation-report":
            return Self.ablationReport(Array(arguments.dropFirst()))
        case "restore":
            return await Self.restore(Array(arguments.dropFirst()))
        case "timings":
            exit(await HealthTimings.main(Array(arguments.dropFirst())))
        case "bench-report":
            exit(BenchReport.main(Array(arguments.dropFirst())))
        case "compose":
            exit(await ComposeChecks.main(Array(arguments.dropFirst())))
        default:
            break
        }
        let options: DemoOptions
        do {
            guard let parsed = try DemoOptions.parse(arguments) else {
                print(DemoOptions.usage)
                return
            }
            options = parsed
        } catch {
            FileOutput.writeAll("resilience-demo: \(error) (see --help)\n")
            exit(2)
        }
        let passed = await DemoRun(options: options).run()
        exit(passed ? 0 : 1)
    }

    /// `ablation-plan SCENARIO...|all`: the runs of `--ablate`, for demo.sh.
    private static func ablationPlan(_ names: [String]) {
        var scenarios: [Scenario] = []
        for name in names {
            if name == "all" {
                scenarios += Scenario.all
            } else if let scenario = Scenario.named(name) {
                scenarios.append(scenario)
            } else {
                FileOutput.writeAll("resilience-demo: unknown scenario: \(name)\n")
                exit(2)
            }
        }
        print(Ablation.plan(scenarios))
    }

    /// `ablation-report DIR`: the tables and verdicts of the runs in DIR.
    private static func ablationReport(_ arguments: [String]) {
        guard arguments.count == 1 else {
            FileOutput.writeAll("resilience-demo: ablation-report needs one directory\n")
            exit(2)
        }
        do {
            print(try Ablation.report(directory: arguments[0]))
        } catch {
            FileOutput.writeAll("resilience-demo: \(error)\n")
            exit(1)
        }
    }

    /// `restore [--fault-proxy-url URL] [--replica-urls "URL..." --admin-token-file F]`:
    /// every network fault lifted and chaos off on every replica.
    private static func restore(_ arguments: [String]) async {
        let options: DemoOptions
        do {
            options = try DemoOptions.parseRestore(arguments)
        } catch {
            FileOutput.writeAll("resilience-demo: restore: \(error)\n")
            exit(2)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let failed = await DemoRun.restore(options, client: client)
        try? await client.shutdown()
        if let failed {
            FileOutput.writeAll("resilience-demo: \(failed)\n")
            exit(1)
        }
    }
}
