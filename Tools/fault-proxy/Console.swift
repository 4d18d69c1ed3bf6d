#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole lines to standard output or standard error, unbuffered (`write(2)`),
/// so that a container's log collector gets each line when it happens.
enum Console {
    static func out(_ line: String) {
        Self.emit(line, to: STDOUT_FILENO)
    }

    static func error(_ line: String) {
        Self.emit(line, to: STDERR_FILENO)
    }

    private static func emit(_ line: String, to descriptor: Int32) {
        var bytes = Array((line + "\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
