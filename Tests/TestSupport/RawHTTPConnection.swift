import Foundation

/// A plain TCP connection to 127.0.0.1, for sending bytes no HTTP client
/// would send (two `Host` headers, a bad chunk size, a head that never ends)
/// and reading exactly what the server answers.
public final class RawHTTPConnection: @unchecked Sendable {
    private var fd: Int32

    public init(port: Int) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.fd >= 0 else { throw TestServerError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            Glibc.close(self.fd)
            throw TestServerError("could not connect to 127.0.0.1:\(port)")
        }
    }

    deinit { self.close() }

    /// Closes the socket now, for real (idempotent).
    public func close() {
        guard self.fd >= 0 else { return }
        Glibc.close(self.fd)
        self.fd = -1
    }

    /// One read, blocking: what arrived, or nothing when the server closed
    /// the connection; throws when nothing arrived within `timeout`.
    public func receive(timeout: Duration = .seconds(10)) throws -> [UInt8] {
        var pollDescriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&pollDescriptor, 1, milliseconds) > 0 else { throw TestServerError("nothing received within \(timeout)") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw TestServerError("recv failed: errno \(errno)") }
        return Array(buffer[..<n])
    }

    /// Sends `text` as it is (write `\r\n` yourself).
    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestServerError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads until the server closes the connection or `timeout` passes
    /// with nothing more arriving; `closed` says which.
    public func readAll(timeout: Duration = .seconds(10)) async throws -> (text: String, closed: Bool) {
        let fd = self.fd
        return try await offloaded {
            var pollDescriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            while true {
                guard poll(&pollDescriptor, 1, milliseconds) > 0 else { return (String(decoding: received, as: UTF8.self), false) }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return (String(decoding: received, as: UTF8.self), true) }
                received.append(contentsOf: buffer[..<n])
            }
        }
    }
}
