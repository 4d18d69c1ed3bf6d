import Foundation

/// One database on a ``PostgresTestServer``: what a test's services connect
/// to, and what reached it, read from the server's log (whose lines name
/// their database, so other tests' statements on a shared server don't count).
public struct PostgresTestDatabase: Sendable {
    /// The server it is on (a test stops only a server of its own).
    public let server: PostgresTestServer
    /// The database's name (`app`, or `test_N` on the shared server).
    public let name: String

    /// The server's `log_line_prefix`: time, process, then `db=NAME`.
    static let logLinePrefix = "%m [%p] db=%d "

    /// The libpq URI without the password (pass it apart, as production does).
    public var url: String { "postgresql://app@127.0.0.1:\(self.server.port)/\(self.name)" }
    /// The password of role `app`.
    public var password: String { self.server.password }

    /// Runs SQL as `app` through psql over the Unix socket; returns unaligned output.
    @discardableResult
    public func psql(_ sql: String) throws -> String {
        let arguments = [
            "psql", "-h", self.server.directory.path, "-p", String(self.server.port), "-U", "app", "-d", self.name,
            "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ]
        return try runCommand(arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// How many statements containing `text` this database received between
    /// two marker statements, parameterized ones (logged as `execute`) included.
    public func received(_ text: String, between start: String, and end: String) throws -> Int {
        let entries = try self.logEntries()
        guard let from = entries.firstIndex(where: { $0.contains("statement:") && $0.contains(start) }),
            let to = entries.lastIndex(where: { $0.contains("statement:") && $0.contains(end) }), from < to
        else { throw TestServerError("markers not found in the PostgreSQL log") }
        return entries[(from + 1)..<to].filter { $0.contains(text) }.count
    }

    /// Every statement logged for this database between two marker statements.
    public func loggedStatements(between start: String, and end: String) throws -> [String] {
        let statements = try self.logEntries().filter { $0.contains("statement:") }
        guard let from = statements.firstIndex(where: { $0.contains(start) }), let to = statements.lastIndex(where: { $0.contains(end) }), from < to else {
            throw TestServerError("markers not found in the PostgreSQL log")
        }
        return Array(statements[(from + 1)..<to])
    }

    /// This database's log entries, each with the lines that continue it (a
    /// statement on several lines): a line that starts an entry carries `] db=NAME `.
    private func logEntries() throws -> [String] {
        var entries: [String] = []
        var current: String?
        for line in try String(contentsOfFile: self.server.logFile, encoding: .utf8).split(separator: "\n") {
            if let range = line.range(of: "] db="), line.first?.isNumber == true {
                if let entry = current { entries.append(entry) }
                current = line[range.upperBound...].hasPrefix(self.name + " ") ? String(line) : nil
            } else if let entry = current {
                current = entry + "\n" + line
            }
        }
        if let entry = current { entries.append(entry) }
        return entries
    }
}
