import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Resolves host names to numeric addresses within a deadline, so that no
/// caller (a pool thread about to connect, the gateway's endpoint refresh)
/// ever waits on DNS longer than its own connect timeout.
///
/// glibc's `getaddrinfo` can't be bounded: with a name server that does not
/// answer it waits `timeout:5` × `attempts:2` for each name it tries (the
/// search list included), 10 to 20 s and more. Here each lookup runs on a
/// thread of its own; callers wait for it only until their deadline.
///
/// - Callers asking for the same host share a lookup that started less than
///   `joinWindow` ago; an older one that still runs (a stuck query) is left to
///   finish by itself and a new one starts beside it, so a resolver that
///   answers again is seen within `joinWindow`: a new lookup starts at most
///   every `joinWindow` per host (a silent resolver whose lookups last 20 s
///   costs about 40 waiting threads, not a pool). Only past
///   `maxLookupsPerHost` running at once does a caller join the newest.
/// - When DNS fails or is too slow, the last addresses it gave are returned:
///   a dependency whose address did not change stays reachable while DNS is
///   down. DNS then gets half of the caller's time, so the connect to those
///   addresses gets the other half. An authoritative "no such name" is never
///   overridden.
/// - Numeric addresses are returned as they are, with no lookup.
public final class HostResolver: Sendable {
    /// The process's resolver: every connection shares its lookups and fallbacks.
    public static let shared = HostResolver()

    /// One blocking lookup of a host: numeric addresses, IPv4 first, each once.
    public typealias LookupFunction = @Sendable (String) -> Result<[String], ResolveError>

    private let joinWindow: Duration
    private let maxLookupsPerHost: Int
    private let lookupFunction: LookupFunction
    private let hosts = Mutex<[String: HostState]>([:])

    private struct HostState {
        var running: [Lookup] = []
        var lastGood: [String] = []
    }

    /// - Parameter lookup: the blocking lookup each new resolution runs on a
    ///   thread of its own; glibc's `getaddrinfo` unless a test gives another.
    public init(
        joinWindow: Duration = .milliseconds(500), maxLookupsPerHost: Int = 64,
        lookup: @escaping LookupFunction = HostResolver.getaddrinfoAddresses
    ) {
        self.joinWindow = joinWindow
        self.maxLookupsPerHost = maxLookupsPerHost
        self.lookupFunction = lookup
    }

    /// The numeric addresses of `host` (IPv4 first), blocking the calling
    /// thread until `deadline` at the most; the last good ones when DNS fails
    /// or is slow. Call it on a thread that may block (a pool's thread).
    public func resolve(_ host: String, deadline: ContinuousClock.Instant) throws(ResolveError) -> [String] {
        if Self.isNumeric(host) { return [host] }
        let (lookup, isNew) = self.lookup(for: host)
        if isNew { lookup.start(self.lookupFunction) { self.finished(lookup, host: host, outcome: $0) } }
        // With a last good answer to fall back on, DNS gets half the time
        // left, so that the connect to those addresses still has the rest.
        let hasLastGood = self.hosts.withLock { !($0[host]?.lastGood.isEmpty ?? true) }
        let waitUntil = hasLastGood ? ContinuousClock.now + (deadline - ContinuousClock.now) / 2 : deadline
        switch lookup.wait(until: waitUntil) {
        case .success(let addresses):
            return addresses
        case .failure(let error) where error == .notFound:
            throw error
        case let outcome:
            let lastGood = self.hosts.withLock { $0[host]?.lastGood ?? [] }
            guard lastGood.isEmpty else { return lastGood }
            if case .failure(let error) = outcome { throw error }
            throw .timeout
        }
    }

    /// The addresses of `host` within `timeout`, waiting off the caller's
    /// thread (for async callers).
    public func resolve(_ host: String, timeout: Duration) async throws(ResolveError) -> [String] {
        if Self.isNumeric(host) { return [host] }
        let deadline = ContinuousClock.now + timeout
        let result: Result<[String], ResolveError> = await withCheckedContinuation { continuation in
            DetachedThread.start {
                continuation.resume(returning: Result { () throws(ResolveError) in try self.resolve(host, deadline: deadline) })
            }
        }
        return try result.get()
    }

    /// The running lookup to join, or a new one to start.
    private func lookup(for host: String) -> (Lookup, isNew: Bool) {
        self.hosts.withLock { hosts in
            var state = hosts[host, default: HostState()]
            defer { hosts[host] = state }
            if let newest = state.running.last,
                ContinuousClock.now - newest.started < self.joinWindow || state.running.count >= self.maxLookupsPerHost
            {
                return (newest, false)
            }
            let lookup = Lookup(host: host)
            state.running.append(lookup)
            return (lookup, true)
        }
    }

    private func finished(_ lookup: Lookup, host: String, outcome: Result<[String], ResolveError>) {
        self.hosts.withLock { hosts in
            hosts[host]?.running.removeAll { $0 === lookup }
            switch outcome {
            case .success(let addresses): hosts[host]?.lastGood = addresses
            case .failure(let error) where error == .notFound: hosts[host]?.lastGood = []
            case .failure: break
            }
        }
    }

    /// Whether `host` is an IPv4 or IPv6 address literal.
    public static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// One blocking `getaddrinfo` (TCP), its addresses as numeric strings.
    public static func getaddrinfoAddresses(_ host: String) -> Result<[String], ResolveError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else {
            // -5 is glibc's EAI_NODATA (the name exists, without an address), which Swift does not import.
            return .failure(status == EAI_NONAME || status == -5 ? .notFound : .failed)
        }
        defer { freeaddrinfo(first) }
        var v4: [String] = []
        var v6: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if info.pointee.ai_family == AF_INET6 {
                    if !v6.contains(address) { v6.append(address) }
                } else if !v4.contains(address) {
                    v4.append(address)
                }
            }
            cursor = info.pointee.ai_next
        }
        return .success(v4 + v6)
    }
}

extension HostResolver {
    /// One `getaddrinfo` on a thread of its own, which any number of callers
    /// wait for, each up to its own deadline.
    fileprivate final class Lookup: Sendable {
        let host: String
        let started = ContinuousClock.now
        private let done = DispatchGroup()
        private let outcome = Mutex<Result<[String], ResolveError>?>(nil)

        init(host: String) {
            self.host = host
            self.done.enter()
        }

        /// Starts `lookup` on a thread of its own; `finish` runs there with the outcome.
        func start(_ lookup: @escaping LookupFunction, then finish: @escaping @Sendable (Result<[String], ResolveError>) -> Void) {
            DetachedThread.start {
                let outcome = lookup(self.host)
                self.outcome.withLock { $0 = outcome }
                finish(outcome)
                self.done.leave()
            }
        }

        /// The outcome, or `nil` when `deadline` passed first.
        func wait(until deadline: ContinuousClock.Instant) -> Result<[String], ResolveError>? {
            let remaining = deadline - ContinuousClock.now
            let nanoseconds = max(0, Int(remaining.milliseconds * 1_000_000))
            guard self.done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
            return self.outcome.withLock { $0 }
        }
    }
}
