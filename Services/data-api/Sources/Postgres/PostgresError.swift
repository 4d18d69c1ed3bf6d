import Shared

/// A PostgreSQL failure, described without the server's address or any
/// connection parameter. `sqlState` is set for errors the server reported.
struct PostgresError: Error, SafeErrorDescription, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case connectionRefused
        case connectionFailed
        case hostNotFound
        case authenticationFailed
        case databaseNotFound
        case timeout
        case connectionLost
        case queryFailed
    }

    private let code: Code
    /// The five-character SQLSTATE of a server-reported error.
    let sqlState: String?

    private init(code: Code, sqlState: String? = nil) {
        self.code = code
        self.sqlState = sqlState
    }

    static let connectionRefused = PostgresError(code: .connectionRefused)
    static let connectionFailed = PostgresError(code: .connectionFailed)
    static let hostNotFound = PostgresError(code: .hostNotFound)
    static let authenticationFailed = PostgresError(code: .authenticationFailed)
    static let databaseNotFound = PostgresError(code: .databaseNotFound)
    /// The connect timeout, the statement timeout or the client-side deadline passed.
    static let timeout = PostgresError(code: .timeout)
    /// The connection broke while in use (server restarted or killed).
    static let connectionLost = PostgresError(code: .connectionLost)

    static func query(sqlState: String?) -> PostgresError {
        // 57014: query_canceled (statement_timeout); 57P01..57P03: server shutting down / unavailable.
        switch sqlState {
        case "57014": PostgresError(code: .timeout, sqlState: sqlState)
        case "57P01", "57P02", "57P03": PostgresError(code: .connectionLost, sqlState: sqlState)
        default: PostgresError(code: .queryFailed, sqlState: sqlState)
        }
    }

    /// Classifies libpq's connection error text, which is never shown as is
    /// (it names the host and port).
    static func connection(message: String) -> PostgresError {
        let text = message.lowercased()
        if text.contains("connection refused") || text.contains("no such file or directory") { return .connectionRefused }
        if text.contains("timeout expired") || text.contains("timed out") { return .timeout }
        if text.contains("could not translate host name") || text.contains("name or service not known") { return .hostNotFound }
        if text.contains("password authentication failed") || text.contains("no password supplied") || text.contains("authentication") {
            return .authenticationFailed
        }
        if text.contains("database") && text.contains("does not exist") { return .databaseNotFound }
        if text.contains("server closed the connection") || text.contains("terminating connection") || text.contains("no connection to the server") {
            return .connectionLost
        }
        return .connectionFailed
    }

    /// `true` for errors where the server is unreachable or unusable, as
    /// opposed to a rejected statement.
    var isUnavailable: Bool { self.code != .queryFailed }

    var isUniqueViolation: Bool { self.sqlState == "23505" }

    /// `true` when the server refused a value in the statement: SQLSTATE class
    /// 22 (data exception: too long, out of range, bad encoding, bad text for
    /// a type) or 23 (integrity constraint: a CHECK, NOT NULL). A client's
    /// input causes these, so they answer 4xx, never 500.
    var isRejectedValue: Bool {
        guard self.code == .queryFailed, let sqlState = self.sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("23")
    }

    var safeDescription: String {
        switch self.code {
        case .connectionRefused: "connection refused"
        case .connectionFailed: "connection failed"
        case .hostNotFound: "host not found"
        case .authenticationFailed: "authentication failed"
        case .databaseNotFound: "database not found"
        case .timeout: "timeout"
        case .connectionLost: "connection lost"
        case .queryFailed: "query failed (SQLSTATE \(self.sqlState ?? "unknown"))"
        }
    }

    var description: String { "PostgresError: \(self.safeDescription)" }
}
