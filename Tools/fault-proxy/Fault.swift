#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a route does to the bytes it carries.
enum Fault: Equatable, Sendable, CustomStringConvertible {
    /// Forward everything untouched.
    case none
    /// Deliver each chunk from the upstream this many milliseconds after it arrived.
    case latency(milliseconds: Int)
    /// A silent partition: forward nothing, close nothing.
    case blackhole
    /// Reset every connection, open or new.
    case reset

    /// The latencies the admin API accepts, in milliseconds.
    static let latencyRange = 1...60_000

    /// The JSON form: `{"kind":"latency","latencyMs":200}`, `{"kind":"none"}`.
    struct Wire: Codable, Equatable, Sendable {
        var kind: String
        var latencyMs: Int?
    }

    /// Parses a `PUT /routes/NAME/fault` body.
    init(json: [UInt8]) throws(FaultError) {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(json)) else { throw .malformed }
        switch wire.kind {
        case "none": self = .none
        case "blackhole": self = .blackhole
        case "reset": self = .reset
        case "latency":
            guard let milliseconds = wire.latencyMs, Self.latencyRange.contains(milliseconds) else { throw .badLatency }
            self = .latency(milliseconds: milliseconds)
        default: throw .unknownKind(wire.kind)
        }
    }

    var wire: Wire {
        switch self {
        case .none: Wire(kind: "none")
        case .latency(let milliseconds): Wire(kind: "latency", latencyMs: milliseconds)
        case .blackhole: Wire(kind: "blackhole")
        case .reset: Wire(kind: "reset")
        }
    }

    /// How many milliseconds chunks from the upstream wait; nil when they do not.
    var latency: Int? {
        if case .latency(let milliseconds) = self { milliseconds } else { nil }
    }

    var description: String {
        if let latency { "latency \(latency) ms" } else { self.wire.kind }
    }
}
