#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// The target-specific side of a demo, in scripts/lib/demo/fault.sh: inject or
/// remove a fault, restore everything, list the stack's processes, count
/// acknowledged writes in PostgreSQL. Process control (pg_ctl, kill, docker
/// compose) is shell work; the driver only calls `HOOK ACTION ARG`
/// (a ``ChildProcess``).
struct FaultHook: Sendable {
    let path: String

    /// Runs the hook and returns its standard output (its standard error goes
    /// to ours). Throws when it exits non-zero.
    @discardableResult
    func run(_ action: String, _ argument: String) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("resilience-demo-hook-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let arguments = [self.path, action, argument]
        let status = try await ChildProcess(arguments, stdout: output.path).exit()
        guard status == 0 else {
            throw DemoFailure(description: "\(action) \(argument) failed (exit \(status))")
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return text.trimmingWhitespaceAndNewlines()
    }
}
