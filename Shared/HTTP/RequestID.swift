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
        return HexWriter.string(count: 36) { cursor in
            cursor.hex(high >> 32, digits: 8)
            cursor.ascii("-")
            cursor.hex(high >> 16, digits: 4)
            cursor.ascii("-")
            cursor.hex(high, digits: 4)
            cursor.ascii("-")
            cursor.hex(low >> 48, digits: 4)
            cursor.ascii("-")
            cursor.hex(low, digits: 12)
        }
    }

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.make(using: &generator)
    }
}
