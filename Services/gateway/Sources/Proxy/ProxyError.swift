import NIOCore
import NIOPosix
import Shared

/// Why a call to an upstream failed, in words safe for logs, bodies and labels.
struct ProxyError: Error, SafeErrorDescription, Hashable {
    private enum Code: Hashable {
        case perTryTimeout
    }

    private let code: Code

    /// One attempt took longer than the per-try timeout.
    static let perTryTimeout = ProxyError(code: .perTryTimeout)

    var safeDescription: String {
        switch self.code {
        case .perTryTimeout: "timeout"
        }
    }

    /// How an outbound call failed.
    enum Failure: String, Sendable {
        /// Nothing was sent: safe to retry any method.
        case connect
        /// The request may have reached the upstream.
        case timeout
        case reset
    }

    static func classify(_ error: any Error) -> Failure {
        if let error = error as? ProxyError, error == .perTryTimeout { return .timeout }
        if error is NIOConnectionError { return .connect }
        if let error = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return .connect }
        if case ChannelError.connectTimeout = error { return .connect }
        return .reset
    }

    static func describe(_ error: any Error) -> String {
        switch Self.classify(error) {
        case .connect: "connection refused"
        case .timeout: "timeout"
        case .reset: "connection reset"
        }
    }
}
