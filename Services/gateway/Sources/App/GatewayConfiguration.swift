#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Shared

/// Everything the gateway reads from its environment, validated at start-up.
public struct GatewayConfiguration: ServiceConfiguration {
    public static let defaultPort = 8080

    public var http: HTTPServerSettings
    /// Limits on what clients send (``EdgeSettings``).
    public var edge: EdgeSettings
    public var logLevel: Logger.Level
    /// `LOG_FORMAT`: logfmt (default) or json.
    public var logFormat: LogFormat
    /// Upstream base URLs (`UPSTREAM_URLS`, comma-separated). A single URL whose
    /// host resolves to several addresses stands for all of them.
    public var upstreams: [URL]
    /// How often DNS names in `upstreams` are resolved again.
    public var resolveInterval: Duration
    public var connectTimeout: Duration
    /// How long an upstream connection may wait unused in the proxy's pool.
    public var upstreamIdleTimeout: Duration
    public var perTryTimeout: Duration
    public var deadline: Duration
    public var maxAttempts: Int
    public var backoffBase: Duration
    public var backoffCap: Duration
    public var retryBudget: RetryBudget
    /// Bodies up to this size are buffered so the request can be retried; larger ones stream and are not retried.
    public var retryBufferLimit: Int
    /// Larger request bodies get 413.
    public var maxBodySize: Int
    /// `MAX_IN_FLIGHT_REQUESTS`: proxied requests at once; one more is shed
    /// at once with `503` and `Retry-After` (load shedding).
    public var maxInFlight: Int
    public var breaker: CircuitBreaker.Configuration
    /// Consecutive failed calls that eject an endpoint (passive health).
    public var ejectAfterFailures: Int
    /// The least time an ejected endpoint stays out (it also needs a passing active check).
    public var ejectionDuration: Duration
    /// `DISK_WARN_PERCENT`, `MEMORY_WARN_PERCENT`: the gateway's own disk and memory checks.
    public var systemChecks: SystemCheckSettings
    /// Active health checks of every endpoint.
    public var upstreamHealthPath: String
    public var upstreamHealth: HealthMonitorConfiguration
    /// The path of the gateway's own half-open probe (`BREAKER_PROBE_PATH`): an
    /// API path, so it takes the road client requests take, not the health path.
    public var breakerProbePath: String
    /// `/health/ready` also requires a healthy upstream.
    public var readyRequiresUpstream: Bool
    /// `PANIC_ROUTING` (true): when no endpoint is available, try the
    /// unavailable ones rather than refuse every request (``LoadBalancer``).
    public var panicRouting: Bool
    public var webhookURL: URL?
    public var drainDelay: Duration
    /// `WATCHDOG_TIMEOUT_MS`: exit when liveness has failed this long (0: off).
    public var watchdogTimeout: Duration
    /// `STATUS_SHOW_ADDRESSES`: the status page shows each replica's address (off: only `replica-N`).
    public var statusShowAddresses: Bool
    /// `STATUS_MAX_VIEWERS`: status page viewers (`/health/events` streams) at a time; more get 503.
    public var statusMaxViewers: Int

    /// Logged with the "starting" line.
    public var startMetadata: Logger.Metadata { ["upstreams": "\(self.upstreams.count)"] }

    public init(_ reader: EnvironmentReader = EnvironmentReader()) throws {
        self.http = try HTTPServerSettings(reader, defaultPort: Self.defaultPort)
        self.logLevel = try reader.logLevel()
        self.logFormat = try reader.logFormat()
        let rawUpstreams = reader.string("UPSTREAM_URLS", default: "http://127.0.0.1:8081,http://127.0.0.1:8082")
        self.upstreams = try rawUpstreams.split(separator: ",").map { raw in
            let text = raw.trimmingWhitespace()
            guard let url = URL(string: text), url.scheme == "http", let host = url.host, !host.isEmpty, url.user == nil else {
                throw ConfigError(setting: "UPSTREAM_URLS", problem: "must be a comma-separated list of http://host:port URLs without credentials")
            }
            return url
        }
        guard !self.upstreams.isEmpty else { throw ConfigError(setting: "UPSTREAM_URLS", problem: "must name at least one upstream") }
        self.resolveInterval = try reader.milliseconds("UPSTREAM_RESOLVE_INTERVAL_MS", default: .seconds(5), range: 100...3_600_000)
        self.connectTimeout = try reader.milliseconds("CONNECT_TIMEOUT_MS", default: .milliseconds(250), range: 1...60_000)
        self.upstreamIdleTimeout = try reader.milliseconds("UPSTREAM_IDLE_TIMEOUT_MS", default: .seconds(30), range: 1...3_600_000)
        self.perTryTimeout = try reader.milliseconds("PER_TRY_TIMEOUT_MS", default: .seconds(2), range: 1...600_000)
        self.deadline = try reader.milliseconds("REQUEST_DEADLINE_MS", default: .seconds(5), range: 1...600_000)
        self.maxAttempts = try reader.int("RETRY_MAX_ATTEMPTS", default: 3, range: 1...10)
        self.backoffBase = try reader.milliseconds("RETRY_BACKOFF_BASE_MS", default: .milliseconds(25), range: 1...60_000)
        self.backoffCap = try reader.milliseconds("RETRY_BACKOFF_CAP_MS", default: .milliseconds(250), range: 1...60_000)
        guard self.backoffCap >= self.backoffBase else {
            throw ConfigError(setting: "RETRY_BACKOFF_CAP_MS", problem: "must be at least RETRY_BACKOFF_BASE_MS")
        }
        self.retryBudget = RetryBudget(
            percent: try reader.double("RETRY_BUDGET_PERCENT", default: 20, range: 0...100) / 100,
            minimumConcurrency: try reader.int("RETRY_BUDGET_MIN_CONCURRENCY", default: 3, range: 0...10_000)
        )
        self.retryBufferLimit = try reader.int("RETRY_BUFFER_LIMIT_BYTES", default: 64 * 1024, range: 0...16 * 1024 * 1024)
        self.maxBodySize = try reader.int("MAX_BODY_BYTES", default: 1024 * 1024, range: 1...1024 * 1024 * 1024)
        self.maxInFlight = try reader.int("MAX_IN_FLIGHT_REQUESTS", default: 1024, range: 1...1_000_000)
        self.breaker = CircuitBreaker.Configuration(
            windowSize: try reader.int("BREAKER_WINDOW", default: 20, range: 1...10_000),
            minimumCalls: try reader.int("BREAKER_MIN_CALLS", default: 10, range: 1...10_000),
            failureRateThreshold: try reader.double("BREAKER_FAILURE_RATE", default: 0.5, range: 0.01...1),
            consecutiveFailures: try reader.int("BREAKER_CONSECUTIVE_FAILURES", default: 5, range: 1...10_000),
            openDuration: try reader.milliseconds("BREAKER_OPEN_MS", default: .seconds(5), range: 1...3_600_000),
            halfOpenProbes: try reader.int("BREAKER_HALF_OPEN_PROBES", default: 2, range: 1...1000)
        )
        self.ejectAfterFailures = try reader.int("EJECT_CONSECUTIVE_FAILURES", default: 3, range: 1...10_000)
        self.ejectionDuration = try reader.milliseconds("EJECT_DURATION_MS", default: .seconds(2), range: 1...3_600_000)
        self.upstreamHealthPath = reader.string("UPSTREAM_HEALTH_PATH", default: "/health")
        self.breakerProbePath = reader.string("BREAKER_PROBE_PATH", default: "/api/data")
        guard self.breakerProbePath.hasPrefix("/api/") else {
            throw ConfigError(setting: "BREAKER_PROBE_PATH", problem: "must be a path under /api/ (a GET that clients use)")
        }
        self.upstreamHealth = HealthMonitorConfiguration(
            interval: try reader.milliseconds("UPSTREAM_HEALTH_INTERVAL_MS", default: .milliseconds(250), range: 10...600_000),
            timeout: try reader.milliseconds("UPSTREAM_HEALTH_TIMEOUT_MS", default: .milliseconds(500), range: 10...600_000),
            failureThreshold: try reader.int("UPSTREAM_HEALTH_FAILURE_THRESHOLD", default: 2, range: 1...100),
            successThreshold: try reader.int("UPSTREAM_HEALTH_SUCCESS_THRESHOLD", default: 1, range: 1...100)
        )
        self.systemChecks = try SystemCheckSettings(reader)
        self.readyRequiresUpstream = try reader.bool("READY_REQUIRES_UPSTREAM", default: false)
        self.panicRouting = try reader.bool("PANIC_ROUTING", default: true)
        if let raw = reader.string("HEALTH_WEBHOOK_URL") {
            guard let url = URL(string: raw), url.scheme == "http", url.host != nil else {
                // No TLS in the gateway: an https receiver is reached through a relay (a sidecar, an egress proxy).
                throw ConfigError(setting: "HEALTH_WEBHOOK_URL", problem: "must be an http:// URL (the gateway sends no TLS; use a relay for https)")
            }
            self.webhookURL = url
        }
        self.drainDelay = try reader.milliseconds("SHUTDOWN_DRAIN_MS", default: .zero, range: 0...60_000)
        self.edge = try EdgeSettings(reader)
        self.watchdogTimeout = try Watchdog.timeout(reader)
        self.statusShowAddresses = try reader.bool("STATUS_SHOW_ADDRESSES", default: false)
        self.statusMaxViewers = try reader.int("STATUS_MAX_VIEWERS", default: 32, range: 0...10_000)
    }
}
