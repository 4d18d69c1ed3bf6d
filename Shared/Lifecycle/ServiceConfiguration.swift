import Logging

/// What ``ServiceMain`` needs of a service's configuration to run it.
public protocol ServiceConfiguration: Sendable {
    /// `HTTP_PORT` when it is unset; also the port `healthcheck` probes then.
    static var defaultPort: Int { get }
    /// Reads and validates the environment; throws ``ConfigError`` naming the first bad setting.
    init(_ reader: EnvironmentReader) throws
    var http: HTTPServerSettings { get }
    var logLevel: Logger.Level { get }
    /// `LOG_FORMAT`: logfmt (default) or json.
    var logFormat: LogFormat { get }
    /// `SHUTDOWN_DRAIN_MS`: how long readiness reports `draining` before the server stops accepting.
    var drainDelay: Duration { get }
    /// `WATCHDOG_TIMEOUT_MS`: exit when liveness has failed this long (0: off).
    var watchdogTimeout: Duration { get }
    /// Logged with the "starting" line, after `host` and `port`.
    var startMetadata: Logger.Metadata { get }
}

extension ServiceConfiguration {
    public var startMetadata: Logger.Metadata { [:] }
}
