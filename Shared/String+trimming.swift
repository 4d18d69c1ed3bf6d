extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (Unicode
    /// category Zs and U+0009: Foundation's `CharacterSet.whitespaces`).
    public func trimmingWhitespace() -> String {
        self.trimming { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// The text without leading and trailing whitespace and line breaks
    /// (Foundation's `CharacterSet.whitespacesAndNewlines`: category Zs,
    /// U+0009 to U+000D, U+0085, U+2028 and U+2029).
    public func trimmingWhitespaceAndNewlines() -> String {
        self.trimming { scalar in
            switch scalar.value {
            case 0x09...0x0D, 0x85, 0x2028, 0x2029: true
            default: scalar.properties.generalCategory == .spaceSeparator
            }
        }
    }

    /// The text without the leading and trailing Unicode scalars for which
    /// `isTrimmed` is true.
    public func trimming(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }), let last = scalars.lastIndex(where: { !isTrimmed($0) }) else { return "" }
        return String(Substring(scalars[first...last]))
    }
}
