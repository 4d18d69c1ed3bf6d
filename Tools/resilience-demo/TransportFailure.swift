import AsyncHTTPClient
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// How an exchange ended without an answer, read from the error's type (not
/// its text): the gateway was unreachable (nothing listened, or it closed or
/// reset the connection, dying mid-answer), the client's own timeout passed,
/// or something else.
enum TransportFailure: String, Sendable, Codable {
    case unreachable
    case timedOut
    case other

    init(_ error: any Error) {
        switch error {
        case let error as HTTPClientError:
            if [.remoteConnectionClosed, .connectTimeout].contains(error) {
                self = .unreachable
            } else if [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) {
                self = .timedOut
            } else {
                self = .other
            }
        case is NIOConnectionError:
            self = .unreachable
        case let error as IOError:
            self = [ECONNREFUSED, ECONNRESET, EPIPE].contains(error.errnoCode) ? .unreachable : .other
        case let error as ChannelError:
            switch error {
            case .ioOnClosedChannel, .alreadyClosed, .eof, .inputClosed, .outputClosed, .connectTimeout: self = .unreachable
            default: self = .other
            }
        default:
            self = .other
        }
    }
}
