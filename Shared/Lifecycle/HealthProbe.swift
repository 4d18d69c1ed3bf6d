#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `healthcheck` mode of a service binary, for container `HEALTHCHECK`s
/// with no curl or wget in the image: `SERVICE healthcheck [--live|--ready|--startup]`
/// sends `GET /health/<kind>` to the service on `127.0.0.1:$HTTP_PORT` and
/// exits 0 on a 2xx answer, 1 otherwise (within a 2-second timeout).
public enum HealthProbe {
    public enum Kind: String, Sendable, CaseIterable {
        case live
        case ready
        case startup
    }

    /// Handles `healthcheck` in `arguments` (without the program name); returns
    /// `nil` when they are not a health check, else the exit code.
    public static func run(arguments: [String], port: Int) -> Int32? {
        guard arguments.first == "healthcheck" else { return nil }
        let options = arguments.dropFirst()
        guard options.count <= 1 else {
            FileOutput.writeAll("usage: healthcheck [--live|--ready|--startup]\n")
            return 2
        }
        guard let kind = options.first.map({ Kind(rawValue: String($0.drop(while: { $0 == "-" }))) }) ?? .ready else {
            FileOutput.writeAll("usage: healthcheck [--live|--ready|--startup]\n")
            return 2
        }
        guard let status = Self.status(port: port, path: "/health/\(kind.rawValue)", timeoutSeconds: 2) else {
            FileOutput.writeAll("healthcheck: no answer on 127.0.0.1:\(port)\n")
            return 1
        }
        return (200..<300).contains(status) ? 0 : 1
    }

    /// The status code of `GET path` on 127.0.0.1:`port` over plain HTTP/1.0, or `nil`.
    public static func status(port: Int, path: String, timeoutSeconds: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: healthcheck\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received >= 12 else { return nil }
        // "HTTP/1.1 200 ..."
        return Int(String(decoding: buffer[9..<12], as: UTF8.self))
    }
}
