#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The target-specific side of a demo, in scripts/lib/demo/fault.sh: inject or
/// remove a fault, restore everything, count acknowledged writes in
/// PostgreSQL. Process control (pg_ctl, kill, docker compose) is shell work;
/// the driver only calls `HOOK ACTION ARG`.
struct FaultHook: Sendable {
    let path: String

    /// Runs the hook and returns its standard output (its standard error goes
    /// to ours). Throws when it exits non-zero.
    ///
    /// posix_spawn and a blocking waitpid on a thread of its own, not
    /// Foundation's Process: its SIGCHLD-based wait missed the exit of a hook
    /// that had started a daemon (pg_ctl start), leaving a zombie and a
    /// driver waiting forever. The output goes to a file, not a pipe: a
    /// server the hook starts inherits its descriptors and would hold a pipe
    /// open.
    @discardableResult
    func run(_ action: String, _ argument: String) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("resilience-demo-hook-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let arguments = [self.path, action, argument]
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            DetachedThread.start(name: "fault-hook") {
                continuation.resume(with: Result { try Self.spawnAndWait(arguments, stdout: output.path) })
            }
        }
        guard status == 0 else {
            throw DemoFailure(description: "\(action) \(argument) failed (exit \(status))")
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return text.trimmingWhitespaceAndNewlines()
    }

    /// Spawns `arguments` with stdin from /dev/null and stdout to `stdout`,
    /// waits, returns its exit status (128 + signal when killed).
    private static func spawnAndWait(_ arguments: [String], stdout: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw DemoFailure(description: "cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw DemoFailure(description: "waitpid failed: errno \(errno)") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
