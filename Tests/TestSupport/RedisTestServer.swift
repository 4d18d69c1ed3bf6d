import Foundation

/// A real Redis server for one test suite, on a free loopback port, with a
/// password and no persistence. Can be stopped and started again on the same port.
public final class RedisTestServer: @unchecked Sendable {
    public let port: Int
    public let password: String
    private var pid: pid_t?
    private let configFile: URL
    private var logFile: String { self.configFile.path + ".log" }

    public var url: String { "redis://127.0.0.1:\(self.port)/0" }

    /// Listens on 127.0.0.1 and on `extraListenAddress` (a ``TestNetwork``'s host side), if given.
    public init(password: String = "redis-test-" + UUID().uuidString.prefix(8).lowercased(), extraListenAddress: String? = nil) throws {
        self.port = try freePort()
        self.password = password
        self.configFile = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("redis-test-\(UUID().uuidString).conf")
        let bind = (["127.0.0.1"] + [extraListenAddress].compactMap { $0 }).joined(separator: " ")
        let config = "bind \(bind)\nport \(self.port)\nrequirepass \(password)\nsave \"\"\nappendonly no\ndaemonize no\n"
        try Data(config.utf8).write(to: self.configFile)
        try self.start()
    }

    deinit {
        let (pid, configFile, logFile) = (self.pid, self.configFile, self.logFile)
        if let pid { kill(pid, SIGKILL) }
        BackgroundTeardown.run {
            if let pid { waitForExit(pid) }
            try? FileManager.default.removeItem(at: configFile)
            try? FileManager.default.removeItem(atPath: logFile)
        }
    }

    /// Starts the server and waits for its `PONG`; does nothing while it runs
    /// (a second `redis-server` would fail to bind, and the first would leak).
    public func start() throws {
        guard self.pid == nil else { return }
        self.pid = try spawnProcess(["redis-server", self.configFile.path], outputPath: self.logFile)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? self.cli(["PING"])) == "PONG" { return }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? ""
        throw TestServerError("redis-server did not answer on port \(self.port); its log ends:\n\(log.suffix(1500))")
    }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit.
    public func stop() {
        guard let pid else { return }
        kill(pid, SIGKILL)
        waitForExit(pid)
        self.pid = nil
    }

    /// Runs a redis-cli command; returns its trimmed output.
    @discardableResult
    public func cli(_ arguments: [String]) throws -> String {
        try runCommand(["redis-cli", "-p", String(self.port)] + arguments, environment: ["REDISCLI_AUTH": self.password])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
