/// Chooses the order in which endpoints are tried: round robin over the
/// available endpoints not tried yet, then, when none is left, the endpoints
/// not tried yet whatever their health (panic mode: a stale "unhealthy" must
/// not refuse all traffic; `PANIC_ROUTING=false` turns it off), then, when
/// every endpoint was tried, all of them again.
///
/// Pure: the caller passes each endpoint's availability, which ones were
/// tried, and a rotating counter.
public enum LoadBalancer {
    public struct Candidate: Sendable, Equatable {
        public var available: Bool
        public var tried: Bool

        public init(available: Bool, tried: Bool) {
            self.available = available
            self.tried = tried
        }
    }

    public enum Mode: String, Sendable, Equatable {
        case normal
        case panic
        case repeatTry
    }

    /// Indices in preference order, with the mode they were chosen in.
    public static func order(_ candidates: [Candidate], rotation: Int, panic: Bool = true) -> [(index: Int, mode: Mode)] {
        let count = candidates.count
        guard count > 0 else { return [] }
        let start = ((rotation % count) + count) % count
        let rotated = (0..<count).map { (start + $0) % count }
        let normal = rotated.filter { candidates[$0].available && !candidates[$0].tried }
        let unavailable = panic ? rotated.filter { !candidates[$0].available && !candidates[$0].tried } : []
        let again = rotated.filter { candidates[$0].tried }
        return normal.map { ($0, Mode.normal) } + unavailable.map { ($0, Mode.panic) } + again.map { ($0, Mode.repeatTry) }
    }
}
