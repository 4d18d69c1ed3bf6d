import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process this tool started with posix_spawnp (the command is looked up
/// in PATH; the environment is inherited; stdin is /dev/null). Its exit is
/// collected by ``exit()`` (on a thread of its own) or ``wait()``
/// (blocking), or seen by ``exitStatus()``.
///
/// posix_spawn and waitpid, not Foundation's Process: its SIGCHLD-based wait
/// missed the exit of a hook that had started a daemon (pg_ctl start),
/// leaving a zombie and a driver waiting forever.
struct ChildProcess: Sendable {
    let pid: pid_t

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `arguments`; its standard output goes to the file `stdout`
    /// (not a pipe: a server it starts would inherit and hold a pipe open),
    /// or to /dev/null. Its standard error is ours.
    init(_ arguments: [String], stdout: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw SpawnError(description: "cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        self.pid = pid
    }

    /// Waits for the exit on a thread of its own (a blocking waitpid must
    /// not hold a Swift Concurrency thread); its status.
    func exit() async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            DetachedThread.start(name: "child-wait") { continuation.resume(with: Result { try self.wait() }) }
        }
    }

    /// Waits for the exit; its status (128 + signal when killed).
    func wait() throws -> Int32 {
        var status: Int32 = 0
        while waitpid(self.pid, &status, 0) == -1 {
            guard errno == EINTR else { throw SpawnError(description: "waitpid failed: errno \(errno)") }
        }
        return Self.exitCode(status)
    }

    /// The exit status once it has exited (collected then), else `nil`.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        return waitpid(self.pid, &status, WNOHANG) == self.pid ? Self.exitCode(status) : nil
    }

    /// Sends `signal`.
    func send(_ signal: Int32) {
        kill(self.pid, signal)
    }

    private static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
