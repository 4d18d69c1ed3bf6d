/// xoshiro256** (Blackman and Vigna): a fast, non-cryptographic generator,
/// seeded once from the system's random source. For ids and jitter on hot
/// paths (request ids, trace ids, backoff), where a system call per number
/// would cost more than the work it serves; never for secrets.
public struct FastRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init() {
        var system = SystemRandomNumberGenerator()
        var state = (system.next() as UInt64, system.next() as UInt64, system.next() as UInt64, system.next() as UInt64)
        // An all-zero state would only ever produce zeros.
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = (self.state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = self.state.1 << 17
        self.state.2 ^= self.state.0
        self.state.3 ^= self.state.1
        self.state.1 ^= self.state.2
        self.state.0 ^= self.state.3
        self.state.2 ^= shifted
        self.state.3 = self.state.3.rotatedLeft(by: 45)
        return result
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
