import Dispatch
import Shared
import Synchronization
import Testing

/// The resolver's contract with a scripted lookup in place of `getaddrinfo`:
/// callers are bounded by their deadline whatever the lookup does, the last
/// good answer covers a slow or failing DNS, "no such name" is never covered,
/// and a stuck lookup never stops fresh ones.
@Suite struct HostResolverTests {
    /// A lookup that answers what the test tells it to, in order, and counts its calls.
    final class ScriptedLookup: Sendable {
        enum Step: Sendable {
            case answer([String])
            case fail(ResolveError)
            /// Blocks until `release()`, as a lookup whose name server never answers.
            case hang
        }

        private let steps: Mutex<[Step]>
        private let calls = Atomic<Int>(0)
        private let released = DispatchSemaphore(value: 0)
        private let called = DispatchSemaphore(value: 0)

        init(_ steps: [Step]) { self.steps = Mutex(steps) }

        /// How many lookups ran, once at least `expected` have (lookups run
        /// on threads of their own, which may start after the caller's deadline).
        func callCount(atLeast expected: Int) -> Int {
            for _ in 0..<expected { self.called.wait() }
            for _ in 0..<expected { self.called.signal() }
            return self.calls.load(ordering: .sequentiallyConsistent)
        }

        func lookup(_ host: String) -> Result<[String], ResolveError> {
            self.calls.add(1, ordering: .sequentiallyConsistent)
            self.called.signal()
            let step = self.steps.withLock { $0.isEmpty ? Step.hang : $0.removeFirst() }
            switch step {
            case .answer(let addresses): return .success(addresses)
            case .fail(let error): return .failure(error)
            case .hang:
                self.released.wait()
                return .failure(.failed)
            }
        }

        /// Lets every hanging lookup end (up to `count`).
        func release(_ count: Int = 64) {
            for _ in 0..<count { self.released.signal() }
        }
    }

    func resolver(_ script: ScriptedLookup, joinWindow: Duration = .zero, maxLookups: Int = 64) -> HostResolver {
        HostResolver(joinWindow: joinWindow, maxLookupsPerHost: maxLookups, lookup: { script.lookup($0) })
    }

    func deadline(_ milliseconds: Int = 100) -> ContinuousClock.Instant { .now + .milliseconds(milliseconds) }

    @Test func aLookupThatNeverAnswersEndsTheCallerAtItsDeadlineWithATimeout() {
        let script = ScriptedLookup([.hang])
        defer { script.release() }
        #expect(throws: ResolveError.timeout) { try self.resolver(script).resolve("postgres", deadline: self.deadline()) }
    }

    @Test func theLastGoodAddressesCoverADNSThatHangsOrFails() throws {
        let script = ScriptedLookup([.answer(["10.0.0.7"]), .hang, .fail(.failed)])
        defer { script.release() }
        let resolver = self.resolver(script)
        #expect(try resolver.resolve("postgres", deadline: self.deadline()) == ["10.0.0.7"])
        #expect(try resolver.resolve("postgres", deadline: self.deadline()) == ["10.0.0.7"], "a hanging lookup")
        #expect(try resolver.resolve("postgres", deadline: self.deadline()) == ["10.0.0.7"], "a failing lookup")
        #expect(script.callCount(atLeast: 3) == 3)
    }

    @Test func aSlowDNSGetsHalfTheCallersTimeWhenThereIsALastGoodAnswer() throws {
        let script = ScriptedLookup([.answer(["10.0.0.7"]), .hang])
        defer { script.release() }
        let resolver = self.resolver(script)
        #expect(try resolver.resolve("postgres", deadline: self.deadline()) == ["10.0.0.7"])
        let deadline = self.deadline(2_000)
        #expect(try resolver.resolve("postgres", deadline: deadline) == ["10.0.0.7"])
        #expect(ContinuousClock.now < deadline, "the connect to the last good addresses has time left")
    }

    @Test func aNameThatNoLongerExistsIsNeverCoveredByOldAddresses() {
        let script = ScriptedLookup([.answer(["10.0.0.7"]), .fail(.notFound), .hang])
        defer { script.release() }
        let resolver = self.resolver(script)
        #expect((try? resolver.resolve("redis", deadline: self.deadline())) == ["10.0.0.7"])
        #expect(throws: ResolveError.notFound) { try resolver.resolve("redis", deadline: self.deadline()) }
        #expect(throws: ResolveError.timeout, "the old addresses were forgotten") {
            try resolver.resolve("redis", deadline: self.deadline())
        }
    }

    @Test func callersWithinTheJoinWindowShareOneLookup() throws {
        let script = ScriptedLookup([.hang, .answer(["10.0.0.8"])])
        defer { script.release() }
        let resolver = self.resolver(script, joinWindow: .seconds(60))
        #expect(throws: ResolveError.timeout) { try resolver.resolve("data-api", deadline: self.deadline()) }
        #expect(throws: ResolveError.timeout) { try resolver.resolve("data-api", deadline: self.deadline()) }
        #expect(script.callCount(atLeast: 1) == 1, "the second caller joined the running lookup")
    }

    @Test func aStuckLookupNeverStopsFreshOnesPastTheJoinWindow() throws {
        let script = ScriptedLookup([.hang, .answer(["10.0.0.9"])])
        defer { script.release() }
        let resolver = self.resolver(script, joinWindow: .milliseconds(50))
        #expect(throws: ResolveError.timeout) { try resolver.resolve("data-api", deadline: self.deadline()) }
        #expect(script.callCount(atLeast: 1) == 1)
        #expect(try resolver.resolve("data-api", deadline: self.deadline(5_000)) == ["10.0.0.9"], "a resolver that answers again is seen")
        #expect(script.callCount(atLeast: 2) == 2)
    }

    @Test func pastTheLimitOfRunningLookupsCallersJoinTheNewest() {
        let script = ScriptedLookup([.hang, .hang])
        defer { script.release() }
        let resolver = self.resolver(script, joinWindow: .zero, maxLookups: 2)
        for _ in 0..<4 {
            #expect(throws: ResolveError.timeout) { try resolver.resolve("data-api", deadline: self.deadline(20)) }
        }
        #expect(script.callCount(atLeast: 2) == 2)
    }

    @Test func numericAddressesAreReturnedWithNoLookup() throws {
        let script = ScriptedLookup([])
        let resolver = self.resolver(script)
        #expect(try resolver.resolve("10.1.2.3", deadline: self.deadline()) == ["10.1.2.3"])
        #expect(try resolver.resolve("::1", deadline: self.deadline()) == ["::1"])
        #expect(script.callCount(atLeast: 0) == 0)
    }
}
