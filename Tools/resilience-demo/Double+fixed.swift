extension Double {
    /// The value with exactly `digits` decimals (`2.5.fixed(2)` is `"2.50"`), rounded half away from zero.
    func fixed(_ digits: Int) -> String {
        let scale = (0..<digits).reduce(1) { result, _ in result * 10 }
        let scaled = Int((self * Double(scale)).rounded())
        let whole = String(scaled.magnitude / UInt(scale))
        let sign = scaled < 0 ? "-" : ""
        guard digits > 0 else { return sign + whole }
        let fraction = String(scaled.magnitude % UInt(scale))
        return sign + whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
