/// Why a fault body was refused; the description is the problem's `detail`.
struct FaultError: Error, CustomStringConvertible, Equatable {
    private enum Code: Equatable {
        case malformed
        case unknownKind(String)
        case badLatency
    }

    private let code: Code

    /// Not JSON, or not an object with a string `kind`.
    static let malformed = FaultError(code: .malformed)
    /// A `kind` that is not none, latency, blackhole or reset.
    static func unknownKind(_ kind: String) -> FaultError { FaultError(code: .unknownKind(kind)) }
    /// `latency` without a `latencyMs` in ``Fault/latencyRange``.
    static let badLatency = FaultError(code: .badLatency)

    var description: String {
        switch self.code {
        case .malformed:
            "the body must be a JSON object like {\"kind\":\"blackhole\"} or {\"kind\":\"latency\",\"latencyMs\":200}"
        case .unknownKind(let kind):
            "unknown fault kind '\(kind)': expected none, latency, blackhole or reset"
        case .badLatency:
            "latency needs a whole number latencyMs in \(Fault.latencyRange.lowerBound)...\(Fault.latencyRange.upperBound)"
        }
    }
}
