import NIOCore

extension Duration {
    /// The duration in milliseconds, with fractions.
    public var milliseconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// Milliseconds with three decimals, for a check's `observedValue`.
    public var roundedMilliseconds: Double { (self.milliseconds * 1000).rounded() / 1000 }

    /// The same span as SwiftNIO's `TimeAmount` (nanoseconds).
    public var timeAmount: TimeAmount { TimeAmount(self) }
}
