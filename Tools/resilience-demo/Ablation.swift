#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `--ablate`: what each mechanism buys. Every scenario runs once as
/// designed and once without each of its ``Scenario/mechanisms`` (a stack of
/// its own per run, started by scripts/lib/demo/demo.sh with the settings
/// ``plan(_:)`` prints); ``report(directory:)`` compares the runs.
enum Ablation {
    static let designed = "as-designed"

    /// One line per run, `SCENARIO VARIANT [NAME=VALUE ...]`: the settings to
    /// start its stack with.
    static func plan(_ scenarios: [Scenario]) -> String {
        let runs = scenarios.filter { !$0.mechanisms.isEmpty }.flatMap { scenario in
            [[scenario.name, Self.designed]] + scenario.mechanisms.map { [scenario.name, $0.rawValue] + $0.switchedOff.map { "\($0.name)=\($0.value)" } }
        }
        return runs.map { $0.joined(separator: " ") }.joined(separator: "\n")
    }

    struct ReportError: Error, CustomStringConvertible {
        let description: String
    }

    /// One table per scenario found in `directory` (`SCENARIO.VARIANT.json`,
    /// as demo.sh writes them), then a verdict line per mechanism.
    static func report(directory: String) throws -> String {
        var sections: [String] = []
        for scenario in Scenario.all where !scenario.mechanisms.isEmpty {
            let variants = [Self.designed] + scenario.mechanisms.map(\.rawValue)
            let runs = try variants.map { variant -> (String, Outcome?) in
                let path = "\(directory)/\(scenario.name).\(variant).json"
                guard FileManager.default.fileExists(atPath: path) else { return (variant, nil) }
                return (variant, try Outcome(RunRecord.read(path), scenario: scenario.name))
            }
            guard runs.contains(where: { $0.1 != nil }) else { continue }
            sections.append(Self.table(scenario, runs))
        }
        guard !sections.isEmpty else { throw ReportError(description: "no ablation runs (SCENARIO.VARIANT.json) in \(directory)") }
        return sections.joined(separator: "\n\n")
    }

    /// What one run measured, or why it could not run.
    struct Outcome {
        var result: ScenarioResult?
        var error: String?
    }

    private static func table(_ scenario: Scenario, _ runs: [(variant: String, outcome: Outcome?)]) -> String {
        var lines = [
            "### \(scenario.name)", "",
            "| run | result | client errors | p99 ms | longest wait ms | writes lost | recovered after ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for (variant, outcome) in runs {
            let name = variant == Self.designed ? "as designed" : "without \(Mechanism(rawValue: variant)?.label ?? variant)"
            if let result = outcome?.result {
                lines.append(
                    "| \(name) | \(result.passed ? "PASS" : "FAIL") | \(result.requests.failed) (\(result.clientErrorRatePercent) %) | \(result.latency.p99Ms) | "
                        + "\(result.latency.maxMs) | \(result.writesLost.map(String.init) ?? "?") | \(result.timeToRecoverMs.map(String.init) ?? "not recovered") |"
                )
            } else {
                lines.append("| \(name) | ERROR | \(outcome?.error ?? "not run") | | | | |")
            }
        }
        lines.append("")
        let designed = runs.first { $0.variant == Self.designed }?.outcome?.result
        for mechanism in scenario.mechanisms {
            let without = runs.first { $0.variant == mechanism.rawValue }?.outcome
            lines.append("- \(Self.verdict(mechanism, scenario: scenario.name, designed: designed, without: without))")
        }
        return lines.joined(separator: "\n")
    }

    /// "circuit breaker: −92 % client errors in replica-hang (37 without it
    /// → 3 with it)": the first of client errors, longest wait, p99 and
    /// recovery time that the mechanism lowers by 10 % or more, then the
    /// first it raises that much (what it costs), or that it changed nothing.
    static func verdict(_ mechanism: Mechanism, scenario: String, designed: ScenarioResult?, without: Outcome?) -> String {
        guard let designed else { return "\(mechanism.label): no as-designed run to compare with" }
        guard let ablated = without?.result else {
            return "\(mechanism.label): the run without it did not complete (\(without?.error ?? "not run"))"
        }
        var measures: [(String, Double, Double, String)] = [
            ("client errors", Double(designed.requests.failed), Double(ablated.requests.failed), ""),
            ("longest client wait", designed.latency.maxMs, ablated.latency.maxMs, " ms"),
            ("p99 latency", designed.latency.p99Ms, ablated.latency.p99Ms, " ms"),
            ("time to recover", Double(designed.timeToRecoverMs ?? designed.recoveryBudgetMs), Double(ablated.timeToRecoverMs ?? ablated.recoveryBudgetMs), " ms"),
        ]
        // What the scenario itself is about comes first.
        if let with = designed.herd?.queries, let without = ablated.herd?.queries {
            measures.insert(("PostgreSQL queries of the herd", Double(with), Double(without), ""), at: 0)
        }
        if Scenario.named(scenario)?.comparesReadLatency == true, let with = designed.readP99DuringFaultMs, let without = ablated.readP99DuringFaultMs {
            measures.insert(("read p99 during the fault", with, without, " ms"), at: 0)
        }
        let gain = measures.first { _, with, without, _ in without > 0 && (without - with) / without >= 0.1 }.map { what, with, without, unit in
            // "−100 %" only when it is all gone.
            let cut = with == 0 ? 100 : min(99, Int(((without - with) / without * 100).rounded()))
            return "−\(cut) % \(what) in \(scenario) (\(Self.number(without))\(unit) without it → \(Self.number(with))\(unit) with it)"
        }
        let cost = measures.first { _, with, without, _ in with > 0 && (with - without) / with >= 0.1 }.map { what, with, without, unit in
            "it costs \(what) (\(Self.number(without))\(unit) without it → \(Self.number(with))\(unit) with it)"
        }
        switch (gain, cost) {
        case (let gain?, let cost?): return "\(mechanism.label): \(gain); \(cost)"
        case (let gain?, nil): return "\(mechanism.label): \(gain)"
        case (nil, let cost?): return "\(mechanism.label): nothing measurably better with it in this run of \(scenario); \(cost)"
        case (nil, nil):
            return "\(mechanism.label): nothing measurably better with it in this run of \(scenario) (client errors \(designed.requests.failed) with, \(ablated.requests.failed) without)"
        }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

extension Ablation.Outcome {
    init(_ record: RunRecord, scenario: String) {
        let result = record.scenarios.first { $0.scenario == scenario }
        self.init(result: result, error: record.errors[scenario] ?? (result == nil ? "no result" : nil))
    }
}

extension RunRecord {
    static func read(_ path: String) throws -> RunRecord {
        try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
