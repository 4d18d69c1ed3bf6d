import Shared

/// A Redis failure, described without the server's address or password.
struct RedisError: Error, SafeErrorDescription, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case connectionRefused
        case connectionFailed
        case authenticationFailed
        case timeout
        case connectionLost
        case commandFailed
        case unexpectedReply
    }

    private let code: Code

    static let connectionRefused = RedisError(code: .connectionRefused)
    static let connectionFailed = RedisError(code: .connectionFailed)
    static let authenticationFailed = RedisError(code: .authenticationFailed)
    static let timeout = RedisError(code: .timeout)
    static let connectionLost = RedisError(code: .connectionLost)
    /// The server answered the command with an error reply.
    static let commandFailed = RedisError(code: .commandFailed)
    static let unexpectedReply = RedisError(code: .unexpectedReply)

    /// Classifies hiredis' `errstr`, which is never shown as is.
    static func io(message: String) -> RedisError {
        let text = message.lowercased()
        if text.contains("refused") { return .connectionRefused }
        if text.contains("timed out") || text.contains("temporarily unavailable") || text.contains("timeout") { return .timeout }
        if text.contains("eof") || text.contains("reset") || text.contains("broken pipe") { return .connectionLost }
        return .connectionFailed
    }

    var safeDescription: String {
        switch self.code {
        case .connectionRefused: "connection refused"
        case .connectionFailed: "connection failed"
        case .authenticationFailed: "authentication failed"
        case .timeout: "timeout"
        case .connectionLost: "connection lost"
        case .commandFailed: "command failed"
        case .unexpectedReply: "unexpected reply"
        }
    }

    var description: String { "RedisError: \(self.safeDescription)" }
}
