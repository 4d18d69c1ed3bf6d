import Foundation
import Synchronization

/// A real PostgreSQL server: its own cluster in a temporary folder, on a free
/// loopback port, with password authentication and every statement logged,
/// each line with its database (so a test can count what reached its own
/// database, ``PostgresTestDatabase``).
///
/// One server (``shared``) serves every test that leaves it running, a
/// database each; a test that stops or crashes its server starts one of its own.
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
    private let maxConnections: Int
    private let isShared: Bool
    private var dataDirectory: String { self.directory.appendingPathComponent("data").path }
    public var logFile: String { self.directory.appendingPathComponent("postgres.log").path }

    /// The database `app` (the role's own), created with the cluster.
    public var app: PostgresTestDatabase { PostgresTestDatabase(server: self, name: "app") }

    /// The server every test of this process shares, started on first use
    /// and stopped when the process exits. Parallel tests each hold a pool
    /// of connections to it: it allows 400 (PostgreSQL's default is 100).
    public static let shared = Task {
        let server = try await offloaded { try PostgresTestServer(password: "pg-test-shared", extraListenAddress: nil, maxConnections: 400, isShared: true) }
        BackgroundTeardown.atExit(server.teardown)
        return server
    }

    /// A new database on the ``shared`` server.
    public static func sharedDatabase() async throws -> PostgresTestDatabase {
        let server = try await Self.shared.value
        return try await offloaded { try server.createDatabase() }
    }

    private static let createdDatabases = Atomic<Int>(0)

    /// Listens on 127.0.0.1 and on `extraListenAddress` (a ``TestNetwork``'s host side), if given.
    public convenience init(password: String = "pg-test-" + UUID().uuidString.prefix(8).lowercased(), extraListenAddress: String? = nil) throws {
        try self.init(password: password, extraListenAddress: extraListenAddress, maxConnections: 100, isShared: false)
    }

    private init(password: String, extraListenAddress: String?, maxConnections: Int, isShared: Bool) throws {
        self.binaries = ProcessInfo.processInfo.environment["TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: "\(self.binaries)/initdb") else {
            throw TestServerError("PostgreSQL server binaries not found in \(self.binaries): run scripts/test, which installs them")
        }
        self.port = try freePort()
        self.password = password
        self.maxConnections = maxConnections
        self.isShared = isShared
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
        BackgroundTeardown.run(self.teardown)
    }

    /// Stops the server at once and removes its folder.
    private var teardown: @Sendable () -> Void {
        let stop = self.ownerCommand(["\(self.binaries)/pg_ctl", "-D", self.dataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"])
        let directory = self.directory
        return {
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
                "-o",
                "-p \(self.port) -k \(self.directory.path) -c listen_addresses=\(self.listenAddresses) -c log_statement=all -c fsync=off"
                    + " -c max_connections=\(self.maxConnections) -c log_line_prefix='\(PostgresTestDatabase.logLinePrefix)'",
                "start",
            ])
        } catch {
            let log = (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(10).joined(separator: "\n")
            throw TestServerError("\(error)\nlast lines of \(self.logFile):\n\(tail)")
        }
    }

    /// Stops the server; `immediate` is a crash-like stop (no checkpoint, connections cut).
    /// The shared server is never stopped: a test that stops one starts its own.
    public func stop(mode: String = "fast") throws {
        guard !self.isShared else {
            throw TestServerError("the shared PostgreSQL can't be stopped: a test that stops its server starts its own (DataStores.own())")
        }
        try self.asOwner(["\(self.binaries)/pg_ctl", "-D", self.dataDirectory, "-m", mode, "-w", "-t", "30", "stop"])
    }

    /// A new, empty database (from `template0`). It is never dropped: on
    /// PostgreSQL 15 a `DROP DATABASE` waits for a checkpoint and for every
    /// backend of the server; the cluster's folder goes when the server does.
    public func createDatabase() throws -> PostgresTestDatabase {
        let name = "test_\(Self.createdDatabases.add(1, ordering: .relaxed).newValue)"
        try self.app.psql("CREATE DATABASE \(name) TEMPLATE template0")
        return PostgresTestDatabase(server: self, name: name)
    }

    private func asOwner(_ arguments: [String]) throws {
        try runCommand(self.ownerCommand(arguments))
    }

    /// `arguments` run as the data directory's owner (postgres, when the tests run as root).
    private func ownerCommand(_ arguments: [String]) -> [String] {
        getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + arguments : arguments
    }
}
