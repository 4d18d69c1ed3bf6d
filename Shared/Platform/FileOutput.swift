#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to a file descriptor with `write(2)`, whole: short writes are
/// continued and `EINTR` retried; any other failure drops the rest (there is
/// nowhere to report it). Foundation's `FileHandle.write` without Foundation.
public enum FileOutput {
    /// Standard error's file descriptor.
    public static let standardError = STDERR_FILENO

    /// Writes `text` (UTF-8) to `descriptor`, standard error by default.
    public static func writeAll(_ text: String, to descriptor: Int32 = FileOutput.standardError) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
