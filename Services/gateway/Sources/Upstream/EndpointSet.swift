#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import Shared
import Synchronization

/// The upstream endpoints. Configured URLs with an IP address are one
/// endpoint each; a URL with a host name stands for every address the name
/// resolves to, resolved again every `resolveInterval` (so
/// `docker compose up --scale data-api=3` is picked up without a restart).
/// An endpoint that stays keeps its state across resolutions.
public final class EndpointSet: Service, Sendable {
    private let configured: [URL]
    private let configuration: GatewayConfiguration
    private let endpoints: Mutex<[Endpoint]>
    private let rotation = Atomic<Int>(0)
    private let logger: Logger

    init(configuration: GatewayConfiguration, logger: Logger) {
        self.configured = configuration.upstreams
        self.configuration = configuration
        self.logger = logger
        // Until the first resolution, every configured URL is one endpoint.
        self.endpoints = Mutex(
            configuration.upstreams.map { Endpoint(url: Self.base($0), health: configuration.upstreamHealth, breaker: configuration.breaker) }
        )
    }

    public var all: [Endpoint] { self.endpoints.withLock { $0 } }

    /// The next endpoint to try (see ``LoadBalancer``) whose breaker lets a call through.
    func pick(excluding tried: (Endpoint) -> Bool, now: ContinuousClock.Instant) -> (Endpoint, LoadBalancer.Mode)? {
        let endpoints = self.all
        let rotation = self.rotation.wrappingAdd(1, ordering: .relaxed).oldValue
        // The common case first, with nothing allocated: the next available
        // endpoint not tried yet, in rotation order (LoadBalancer's `normal`).
        let count = endpoints.count
        for offset in 0..<count {
            let endpoint = endpoints[(((rotation % count) + count) % count + offset) % count]
            if !tried(endpoint), endpoint.isAvailable(now: now), endpoint.tryAcquire(now: now) { return (endpoint, .normal) }
        }
        let candidates = endpoints.map { endpoint in
            LoadBalancer.Candidate(available: endpoint.isAvailable(now: now), tried: tried(endpoint))
        }
        for (index, mode) in LoadBalancer.order(candidates, rotation: rotation, panic: self.configuration.panicRouting)
        where endpoints[index].tryAcquire(now: now) {
            return (endpoints[index], mode)
        }
        return nil
    }

    public func run() async throws {
        guard self.configured.contains(where: { !HostResolver.isNumeric($0.host ?? "") }) else { return try await gracefulShutdown() }
        await cancelWhenGracefulShutdown {
            await runPeriodically(every: self.configuration.resolveInterval, from: .endOfRun) { await self.resolve() }
        }
    }

    /// Resolves every configured URL and replaces the endpoint list, keeping
    /// the state of endpoints that remain.
    func resolve() async {
        var urls: [String] = []
        for url in self.configured {
            let host = url.host ?? ""
            let port = url.port ?? 80
            if HostResolver.isNumeric(host) {
                urls.append(Self.base(url))
                continue
            }
            // Bounded like any connect: a resolver that does not answer keeps the last addresses.
            let addresses = (try? await HostResolver.shared.resolve(host, timeout: self.configuration.connectTimeout)) ?? []
            if addresses.isEmpty {
                // Keep the name itself as the endpoint; its checks will tell.
                urls.append(Self.base(url))
                self.logger.warning("upstream name did not resolve", metadata: ["host": "\(host)"])
            } else {
                urls.append(contentsOf: addresses.map { "http://" + Endpoint.authority(host: $0, port: port) })
            }
        }
        var seen = Set<String>()
        let unique = urls.filter { seen.insert($0).inserted }
        let changed: Bool = self.endpoints.withLock { endpoints in
            let existing = Dictionary(endpoints.map { ($0.url, $0) }, uniquingKeysWith: { first, _ in first })
            let next = unique.map { existing[$0] ?? Endpoint(url: $0, health: self.configuration.upstreamHealth, breaker: self.configuration.breaker) }
            defer { endpoints = next }
            return next.map(\.url) != endpoints.map(\.url)
        }
        if changed { self.logger.notice("upstream endpoints changed", metadata: ["endpoints": "\(unique.joined(separator: ","))"]) }
    }

    static func base(_ url: URL) -> String {
        "http://\(url.host ?? "127.0.0.1"):\(url.port ?? 80)"
    }
}
