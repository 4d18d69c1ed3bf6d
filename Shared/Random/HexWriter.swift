import NIOCore

/// Writes ids as lowercase hexadecimal straight into a string's or a
/// buffer's storage: no intermediate array, for ids made on every request.
public enum HexWriter {
    /// A string of `count` bytes, filled by `fill` through a ``Cursor``.
    public static func string(count: Int, _ fill: (inout Cursor) -> Void) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            var cursor = Cursor(buffer: buffer)
            fill(&cursor)
            return cursor.position
        }
    }

    /// `count` bytes at the end of `buffer`, filled by `fill` through a ``Cursor``.
    public static func write(count: Int, into buffer: inout ByteBuffer, _ fill: (inout Cursor) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            var cursor = Cursor(buffer: UnsafeMutableBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[..<count]))
            fill(&cursor)
            return cursor.position
        }
    }

    /// Where the next byte goes.
    public struct Cursor {
        fileprivate let buffer: UnsafeMutableBufferPointer<UInt8>
        fileprivate var position = 0

        /// The `digits` lowest hex digits of `value`, most significant first.
        public mutating func hex(_ value: UInt64, digits: Int = 16) {
            for index in 0..<digits {
                let shift = UInt64(4 * (digits - 1 - index))
                let nibble = UInt8(truncatingIfNeeded: (value >> shift) & 0xF)
                // 0-9, then a-f: no table to reach for each digit.
                self.buffer[self.position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
                self.position += 1
            }
        }

        public mutating func ascii(_ text: StaticString) {
            text.withUTF8Buffer { bytes in
                for byte in bytes {
                    self.buffer[self.position] = byte
                    self.position += 1
                }
            }
        }
    }
}
