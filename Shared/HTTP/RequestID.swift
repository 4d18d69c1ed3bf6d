/// `X-Request-ID` values: the client's when it is sane, otherwise a new one.
public enum RequestID {
    /// The id when it is 1–128 printable ASCII characters without spaces.
    public static func valid(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
            value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return value
    }

    /// A new id: a random (version 4) UUID in lowercase.
    public static func make<R: RandomNumberGenerator>(using generator: inout R) -> String {
        let high: UInt64 = (generator.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low: UInt64 = (generator.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        for (index, byte) in Self.bytes(high, low).enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.make(using: &generator)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func bytes(_ high: UInt64, _ low: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }
}
