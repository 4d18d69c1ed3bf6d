import Foundation
import Synchronization

/// A real Redis server on a free loopback port, with a password and no
/// persistence. Can be stopped and started again on the same port.
///
/// One server (``shared``) serves every test that leaves it running, a
/// logical database each (``RedisTestDatabase``); a test that stops its
/// server starts one of its own.
public final class RedisTestServer: @unchecked Sendable {
    public let port: Int
    public let password: String
    private let isShared: Bool
    private var pid: pid_t?
    private let configFile: URL
    private var logFile: String { self.configFile.path + ".log" }

    /// Logical database 0, the one a server of a test's own serves.
    public var defaultDatabase: RedisTestDatabase { RedisTestDatabase(server: self, index: 0) }

    /// The server every test of this process shares, started on first use
    /// and killed when the process exits; each test borrows a logical
    /// database of it (``borrowDatabase()``).
    public static let shared = Task {
        let server = try await offloaded { try RedisTestServer(password: "redis-test-shared", extraListenAddress: nil, isShared: true) }
        BackgroundTeardown.atExit(server.teardown)
        return server
    }

    /// The databases tests borrow: 1 to 15 (data-api takes 0 to 15 in
    /// `REDIS_URL`; 0 stays unused, so a client that ignores the index
    /// shows up as keys there).
    private let freeDatabases = Mutex<[Int]>(Array(1...15))

    /// Listens on 127.0.0.1 and on `extraListenAddress` (a ``TestNetwork``'s host side), if given.
    public convenience init(password: String = "redis-test-" + UUID().uuidString.prefix(8).lowercased(), extraListenAddress: String? = nil) throws {
        try self.init(password: password, extraListenAddress: extraListenAddress, isShared: false)
    }

    private init(password: String, extraListenAddress: String?, isShared: Bool) throws {
        self.port = try freePort()
        self.password = password
        self.isShared = isShared
        self.configFile = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("redis-test-\(UUID().uuidString).conf")
        let bind = (["127.0.0.1"] + [extraListenAddress].compactMap { $0 }).joined(separator: " ")
        let config = "bind \(bind)\nport \(self.port)\nrequirepass \(password)\nsave \"\"\nappendonly no\ndaemonize no\n"
        try Data(config.utf8).write(to: self.configFile)
        try self.start()
    }

    deinit {
        BackgroundTeardown.run(self.teardown)
    }

    /// Kills the server (if it runs) and removes its files.
    private var teardown: @Sendable () -> Void {
        let (pid, configFile, logFile) = (self.pid, self.configFile, self.logFile)
        return {
            if let pid {
                kill(pid, SIGKILL)
                waitForExit(pid)
            }
            try? FileManager.default.removeItem(at: configFile)
            try? FileManager.default.removeItem(atPath: logFile)
        }
    }

    /// A logical database for one test, emptied first; it is given back
    /// when released. Waits while every database is lent out.
    public func borrowDatabase() async throws -> RedisTestDatabase {
        var taken: Int?
        try await waitUntil(timeout: .seconds(120), "a free database of the shared Redis") {
            taken = self.freeDatabases.withLock { $0.popLast() }
            return taken != nil
        }
        guard let index = taken else { throw TestServerError("no free database of the shared Redis") }
        do {
            try await offloaded { try self.cli(["-n", String(index), "FLUSHDB"]) }
        } catch {
            self.freeDatabases.withLock { $0.append(index) }
            throw error
        }
        return RedisTestDatabase(server: self, index: index) { self.freeDatabases.withLock { $0.append(index) } }
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
    /// The shared server is never stopped: a test that stops one starts its own.
    public func stop() throws {
        guard !self.isShared else {
            throw TestServerError("the shared Redis can't be stopped: a test that stops its server starts its own (DataStores.own())")
        }
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
