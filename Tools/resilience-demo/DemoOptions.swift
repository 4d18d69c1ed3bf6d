#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The command line: `resilience-demo SCENARIO|all --gateway-url URL --hook PATH [options]`.
struct DemoOptions: Sendable {
    var scenarios: [Scenario] = []
    var gatewayURL = ""
    var serviceURL: String?
    /// The fault proxy's admin API, for the network scenarios.
    var faultProxyURL: String?
    /// Every data-api replica: their chaos (with `adminTokenFile`) and pool counters.
    var replicaURLs: [String] = []
    /// data-api's admin token, for the chaos the driver sets.
    var adminTokenFile: String?
    var hook = FaultHook(path: "")
    var target = "local"
    var jsonPath: String?
    var reportPath: String?
    var rate = 40
    var baselineSeconds = 3.0
    var settings = StackSettings.fromEnvironment()

    static let usage = """
        Usage: resilience-demo SCENARIO|all --gateway-url URL --hook PATH [options]
               resilience-demo ablation-plan SCENARIO...|all
               resilience-demo ablation-report DIR
               resilience-demo restore [--fault-proxy-url URL] [--replica-urls "URL..." --admin-token-file F]
               resilience-demo timings pass|detect|recover|startup ...
               resilience-demo compose start-order INSPECT_FILE TICKS_FILE | compose prometheus URL

        The driver of scripts/demo: drives a steady load through the gateway,
        samples health every 100 ms, asks the hook to inject and remove the
        fault, prints a timeline and a summary, and exits 1 when an expectation
        fails. Normally run through scripts/demo SCENARIO (see its --help).
        ablation-plan prints the runs of `--ablate` (scenario, variant, the
        settings that switch a mechanism off); ablation-report compares the
        runs' JSON files (DIR/SCENARIO.VARIANT.json) and prints what each
        mechanism bought. restore lifts every fault of the fault proxy and
        turns data-api's chaos off on every replica (the clean-up after a run
        that ended early). timings takes scripts/bench's health timings
        (detection, recovery, start-up; see HealthTimings.swift); compose
        reads what .ci/compose-e2e checks (see ComposeChecks.swift).

        Scenarios: \(Scenario.all.map(\.name).joined(separator: ", ")), all

        Options:
          --gateway-url URL     the gateway (required)
          --service-url URL     the affected data-api replica, to sample its /health/ready
          --fault-proxy-url URL the fault proxy between data-api and its stores (Tools/fault-proxy's
                                admin API), for the network scenarios
          --replica-urls "URL..."
                                every data-api replica (space-separated): the chaos scenarios
                                set data-api's chaos on them, the network and cold-cache ones
                                read their pool counters
          --admin-token-file F  data-api's admin token, for the chaos (flaky-upstream,
                                slow-upstream, wedged-process, poison-request, overload)
          --hook PATH           the fault hook: PATH inject|remove NAME, PATH verify-writes FILE (required)
          --target NAME         label for the report (local, compose)
          --json FILE           also write the results as JSON
          --report FILE         also write an incident report: one HTML file that replays the run
                                (the gateway's status page over the recorded events, a scrubber,
                                client error rate and p99 over time, the fault's marks, the summary)
          --rate N              requests per second through the gateway (default 40)
          --baseline-seconds S  load before the fault (default 3)
          -h, --help            this help

        Environment: REQUEST_DEADLINE_MS PER_TRY_TIMEOUT_MS HEALTH_INTERVAL_MS HEALTH_TIMEOUT_MS
        UPSTREAM_HEALTH_INTERVAL_MS UPSTREAM_HEALTH_TIMEOUT_MS (as the stack was started with;
        the services' defaults otherwise), DEMO_DEADLINE_SLACK_MS (500).
        """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    /// The options of `restore`: where the faults and the chaos are.
    static func parseRestore(_ arguments: [String]) throws -> DemoOptions {
        var options = DemoOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(argument) needs a value") }
            guard options.setFaultLocation(argument, value) else { throw UsageError(description: "unknown argument: \(argument)") }
        }
        return options
    }

    /// Sets one of `--fault-proxy-url`, `--replica-urls`, `--admin-token-file`;
    /// `false` for another flag.
    private mutating func setFaultLocation(_ flag: String, _ value: String) -> Bool {
        switch flag {
        case "--fault-proxy-url": self.faultProxyURL = value.trimmingSuffix("/")
        case "--replica-urls": self.replicaURLs = value.split(separator: " ").map { String($0).trimmingSuffix("/") }
        case "--admin-token-file": self.adminTokenFile = value
        default: return false
        }
        return true
    }

    /// `nil` when help was asked for.
    static func parse(_ arguments: [String]) throws -> DemoOptions? {
        var options = DemoOptions()
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "-h", "--help": return nil
            case "--gateway-url": options.gatewayURL = try value(argument).trimmingSuffix("/")
            case "--service-url": options.serviceURL = try value(argument).trimmingSuffix("/")
            case "--fault-proxy-url", "--admin-token-file", "--replica-urls": _ = options.setFaultLocation(argument, try value(argument))
            case "--hook": options.hook = FaultHook(path: try value(argument))
            case "--target": options.target = try value(argument)
            case "--json": options.jsonPath = try value(argument)
            case "--report": options.reportPath = try value(argument)
            case "--rate":
                guard let rate = Int(try value(argument)), (1...500).contains(rate) else { throw UsageError(description: "--rate must be 1 to 500") }
                options.rate = rate
            case "--baseline-seconds":
                guard let seconds = Double(try value(argument)), (0...60).contains(seconds) else {
                    throw UsageError(description: "--baseline-seconds must be 0 to 60")
                }
                options.baselineSeconds = seconds
            case "all": options.scenarios += Scenario.all
            default:
                guard let scenario = Scenario.named(argument) else { throw UsageError(description: "unknown argument or scenario: \(argument)") }
                options.scenarios.append(scenario)
            }
        }
        if options.scenarios.isEmpty { throw UsageError(description: "name a scenario, or all") }
        if options.gatewayURL.isEmpty { throw UsageError(description: "--gateway-url is required") }
        if options.hook.path.isEmpty { throw UsageError(description: "--hook is required") }
        return options
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        self.hasSuffix(suffix) ? String(self.dropLast(suffix.count)) : self
    }
}
