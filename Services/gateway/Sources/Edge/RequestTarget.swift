/// A request target (RFC 9112 §3.2) checked and put in one canonical form
/// before any route matches its path, so that `/api/../admin` can never
/// reach an upstream as a path under `/api/`.
///
/// - origin-form (`/path?query`) and absolute-form (`http://host/path`,
///   turned into origin-form) are accepted; `*` is left as it is;
/// - dot segments are removed (RFC 3986 §5.2.4), with `%2E` counting as `.`
///   (an encoded unreserved character means the character, RFC 3986 §6.2.2.2);
///   segments that climb above `/` are refused;
/// - `%2F` and `%5C` (an encoded slash or backslash) are refused: upstreams
///   disagree on whether they separate segments;
/// - a malformed `%`, `%00`, a raw backslash or a fragment is refused.
/// The query is kept byte for byte.
enum RequestTarget {
    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")
    private static let percent = UInt8(ascii: "%")

    /// The target to forward (the same string when nothing changes).
    static func normalized(_ target: String) throws(EdgeRefusal) -> String {
        if target == "*" { return target }
        var utf8 = Substring(target).utf8
        if utf8.first != Self.slash {
            guard let path = Self.pathOfAbsoluteForm(target) else { throw .targetForm }
            utf8 = path.utf8
        }
        let queryStart = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        let path = utf8[..<queryStart]
        guard !utf8.contains(UInt8(ascii: "#")) else { throw .targetEncoding }
        if utf8.count == target.utf8.count, !Self.needsWork(path) { return target }

        var segments: [Substring.UTF8View.SubSequence] = []
        var endsWithSlash = false
        for segment in path.dropFirst().split(separator: Self.slash, omittingEmptySubsequences: false) {
            switch try Self.meaning(of: segment) {
            case .current:
                endsWithSlash = true
            case .parent:
                guard segments.popLast() != nil else { throw .targetAboveRoot }
                endsWithSlash = true
            case .name:
                segments.append(segment)
                endsWithSlash = false
            }
        }
        var result = "/" + segments.map { Self.decodingDots($0) }.joined(separator: "/")
        if endsWithSlash, !segments.isEmpty { result += "/" }
        result += String(Substring(utf8[queryStart...]))
        return result
    }

    private enum Meaning { case current, parent, name }

    /// `.` or `..` (also as `%2E`), or a name; checks the segment's encoding.
    private static func meaning(of segment: Substring.UTF8View.SubSequence) throws(EdgeRefusal) -> Meaning {
        var dots = 0
        var other = false
        var index = segment.startIndex
        while index < segment.endIndex {
            let byte = segment[index]
            if byte == Self.percent {
                guard let high = segment.index(index, offsetBy: 1, limitedBy: segment.endIndex), high < segment.endIndex,
                    let low = segment.index(high, offsetBy: 1, limitedBy: segment.endIndex), low < segment.endIndex,
                    let value = Self.hex(segment[high], segment[low])
                else { throw .targetEncoding }
                switch value {
                case 0: throw .targetEncoding
                case UInt8(ascii: "/"), UInt8(ascii: "\\"): throw .targetEncodedSeparator
                case Self.dot: dots += 1
                default: other = true
                }
                index = segment.index(after: low)
                continue
            }
            if byte == UInt8(ascii: "\\") { throw .targetEncoding }
            if byte == Self.dot { dots += 1 } else { other = true }
            index = segment.index(after: index)
        }
        if other || dots > 2 { return .name }
        return dots == 1 ? .current : dots == 2 ? .parent : .name
    }

    /// Whether the path has anything to check or change: a `%`, a dot
    /// segment's first dot, or a backslash.
    private static func needsWork(_ path: Substring.UTF8View.SubSequence) -> Bool {
        var previous = Self.slash
        for byte in path {
            if byte == Self.percent || byte == UInt8(ascii: "\\") || (byte == Self.dot && previous == Self.slash) { return true }
            previous = byte
        }
        return false
    }

    /// A segment with `%2E` written as `.` (other escapes kept).
    private static func decodingDots(_ segment: Substring.UTF8View.SubSequence) -> String {
        guard segment.contains(Self.percent) else { return String(Substring(segment)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.count)
        var index = segment.startIndex
        while index < segment.endIndex {
            // meaning(of:) has checked that every `%` has two hex digits.
            if segment[index] == Self.percent, Self.hex(segment[segment.index(after: index)], segment[segment.index(index, offsetBy: 2)]) == Self.dot {
                bytes.append(Self.dot)
                index = segment.index(index, offsetBy: 3)
            } else {
                bytes.append(segment[index])
                index = segment.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `http://authority/path?query` → `/path?query`; nil when not absolute-form.
    private static func pathOfAbsoluteForm(_ target: String) -> Substring? {
        let lowered = target.prefix(8).lowercased()
        let schemeLength = lowered.hasPrefix("http://") ? 7 : lowered.hasPrefix("https://") ? 8 : 0
        guard schemeLength > 0 else { return nil }
        let rest = target.dropFirst(schemeLength)
        guard let start = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return rest.isEmpty ? nil : "/" }
        return rest[start] == "/" ? rest[start...] : Substring("/" + rest[start...])
    }

    private static func hex(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let high = Self.nibble(high), let low = Self.nibble(low) else { return nil }
        return high << 4 | low
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
