/// A network fault the fault proxy (`Tools/fault-proxy`) makes on the path
/// between data-api and one of its stores.
struct NetworkFault: Sendable {
    enum Kind: String, Sendable {
        /// A silent partition: nothing crosses, nothing is closed or refused.
        case blackhole
        /// Every answer from the store arrives `latencyMs` late.
        case latency
        /// Every connection reset, new ones too.
        case reset
    }

    /// The proxy's route: `postgres` or `redis`.
    var route: String
    var kind: Kind
    var latencyMs: Int?

    /// The body of `PUT /routes/ROUTE/fault`.
    var json: String {
        if let latencyMs { return #"{"kind":"\#(self.kind.rawValue)","latencyMs":\#(latencyMs)}"# }
        return #"{"kind":"\#(self.kind.rawValue)"}"#
    }
}
