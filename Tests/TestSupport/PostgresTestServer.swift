import Foundation

/// A real PostgreSQL server for one test suite: its own cluster in a
/// temporary folder, on a free loopback port, with password authentication
/// and every statement logged (so tests can count what reached the server).
///
/// Needs the server binaries (`TEST_PG_BIN`, default
/// `/usr/lib/postgresql/15/bin`); `scripts/test` installs them. When run as
/// root the server runs as user `postgres`, as PostgreSQL requires.
public final class PostgresTestServer: @unchecked Sendable {
    public let port: Int
    public let password: String
    public let directory: URL
    private let binaries: String
    private let listenAddresses: String
    private var dataDirectory: String { self.directory.appendingPathComponent("data").path }
    public var logFile: String { self.directory.appendingPathComponent("postgres.log").path }

    /// The libpq URI without the password (pass it apart, as production does).
    public var url: String { "postgresql://app@127.0.0.1:\(self.port)/app" }

    /// Listens on 127.0.0.1 and on `extraListenAddress` (a ``TestNetwork``'s host side), if given.
    public init(password: String = "pg-test-" + UUID().uuidString.prefix(8).lowercased(), extraListenAddress: String? = nil) throws {
        self.binaries = ProcessInfo.processInfo.environment["TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: "\(self.binaries)/initdb") else {
            throw TestServerError("PostgreSQL server binaries not found in \(self.binaries): run scripts/test, which installs them")
        }
        self.port = try freePort()
        self.password = password
        self.listenAddresses = (["127.0.0.1"] + [extraListenAddress].compactMap { $0 }).joined(separator: ",")
        self.directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pg-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let passwordFile = self.directory.appendingPathComponent("pwfile").path
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if getuid() == 0 { try runCommand(["chown", "-R", "postgres:postgres", self.directory.path]) }
        try self.asOwner([
            "\(self.binaries)/initdb", "-D", self.dataDirectory, "-U", "app", "--pwfile=\(passwordFile)",
            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync", "-E", "UTF8",
        ])
        if let extraListenAddress {
            let hba = URL(fileURLWithPath: self.dataDirectory).appendingPathComponent("pg_hba.conf")
            let handle = try FileHandle(forWritingTo: hba)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("host all all \(extraListenAddress)/24 scram-sha-256\n".utf8))
            try handle.close()
        }
        try self.start()
        try self.asOwner(["\(self.binaries)/createdb", "-h", self.directory.path, "-p", String(self.port), "-U", "app", "app"])
    }

    deinit {
        let stop = self.ownerCommand(["\(self.binaries)/pg_ctl", "-D", self.dataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"])
        let directory = self.directory
        BackgroundTeardown.run {
            _ = try? runCommand(stop)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Starts the server; when it won't start, the error carries the end of
    /// the server's own log (the reason pg_ctl only points to).
    public func start() throws {
        do {
            try self.asOwner([
                "\(self.binaries)/pg_ctl", "-D", self.dataDirectory, "-l", self.logFile, "-w", "-t", "30",
                "-o", "-p \(self.port) -k \(self.directory.path) -c listen_addresses=\(self.listenAddresses) -c log_statement=all -c fsync=off",
                "start",
            ])
        } catch {
            let log = (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(10).joined(separator: "\n")
            throw TestServerError("\(error)\nlast lines of \(self.logFile):\n\(tail)")
        }
    }

    /// Stops the server; `immediate` is a crash-like stop (no checkpoint, connections cut).
    public func stop(mode: String = "fast") throws {
        try self.asOwner(["\(self.binaries)/pg_ctl", "-D", self.dataDirectory, "-m", mode, "-w", "-t", "30", "stop"])
    }

    /// Runs SQL as `app` through psql over the Unix socket; returns unaligned output.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        try runCommand(["psql", "-h", self.directory.path, "-p", String(self.port), "-U", "app", "-d", "app", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The number of logged statements that contain `marker`.
    public func loggedStatements(containing marker: String) throws -> Int {
        let log = try String(contentsOfFile: self.logFile, encoding: .utf8)
        return log.split(separator: "\n").filter { $0.contains("statement:") && $0.contains(marker) }.count
    }

    /// How many statements containing `text` the server received between two
    /// marker statements, parameterized ones (logged as `execute`) included:
    /// the log lines that contain it (a statement on several lines is logged
    /// on several, so `text` should sit on one line of the statement).
    public func received(_ text: String, between start: String, and end: String) throws -> Int {
        let lines = try String(contentsOfFile: self.logFile, encoding: .utf8).split(separator: "\n")
        guard let from = lines.firstIndex(where: { $0.contains("statement:") && $0.contains(start) }),
            let to = lines.lastIndex(where: { $0.contains("statement:") && $0.contains(end) }), from < to
        else { throw TestServerError("markers not found in the PostgreSQL log") }
        return lines[(from + 1)..<to].filter { $0.contains(text) }.count
    }

    /// Every logged statement between two marker statements.
    public func loggedStatements(between start: String, and end: String) throws -> [Substring] {
        let lines = try String(contentsOfFile: self.logFile, encoding: .utf8).split(separator: "\n").filter { $0.contains("statement:") }
        guard let from = lines.firstIndex(where: { $0.contains(start) }), let to = lines.lastIndex(where: { $0.contains(end) }), from < to else {
            throw TestServerError("markers not found in the PostgreSQL log")
        }
        return Array(lines[(from + 1)..<to])
    }

    private func asOwner(_ arguments: [String]) throws {
        try runCommand(self.ownerCommand(arguments))
    }

    /// `arguments` run as the data directory's owner (postgres, when the tests run as root).
    private func ownerCommand(_ arguments: [String]) -> [String] {
        getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + arguments : arguments
    }
}
