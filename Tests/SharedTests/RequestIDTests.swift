import Shared
import Testing

@Suite struct RequestIDTests {
    /// Version 4 UUIDs in lowercase, from the fast generator as from the system's.
    @Test func newIDsAreDistinctVersion4UUIDs() throws {
        var fast = FastRandomNumberGenerator()
        let ids = (0..<1000).map { _ in RequestID.make(using: &fast) } + (0..<100).map { _ in RequestID.make() }
        let shape = try Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        #expect(ids.allSatisfy { $0.wholeMatch(of: shape) != nil }, "\(ids.prefix(3))")
        #expect(Set(ids).count == ids.count)
    }

    @Test func aClientIDIsKeptOnlyWhenSane() {
        #expect(RequestID.valid("abc-123") == "abc-123")
        #expect(RequestID.valid(String(repeating: "a", count: 128)) != nil)
        for bad in [nil, "", "has space", String(repeating: "a", count: 129), "tab\there", "é"] {
            #expect(RequestID.valid(bad) == nil, "\(bad ?? "nil")")
        }
    }

    @Test func twoFastGeneratorsDoNotRepeatEachOther() {
        var first = FastRandomNumberGenerator()
        var second = FastRandomNumberGenerator()
        let a = (0..<64).map { _ in first.next() }
        let b = (0..<64).map { _ in second.next() }
        #expect(Set(a).count == 64 && Set(a).isDisjoint(with: b))
    }
}
