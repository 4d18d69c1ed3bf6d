import Shared

/// What the gateway accepts from a client before any request is forwarded:
/// the size of a request head and how long a client may take to send one.
public struct EdgeSettings: Sendable, Equatable {
    /// `CLIENT_MAX_HEADER_BYTES`: all header names and values of one request
    /// together; over it the answer is `431`.
    public var maxHeaderBytes: Int
    /// `CLIENT_MAX_HEADERS`: header fields in one request; over it, `431`.
    public var maxHeaderCount: Int
    /// `CLIENT_HEADER_TIMEOUT_MS`: from a request's first byte to its complete
    /// head; over it the answer is `408` and the connection is closed.
    public var headerTimeout: Duration
    /// `CLIENT_IDLE_TIMEOUT_MS`: how long a connection may wait, with no
    /// request in progress, for the first byte of its next request.
    public var idleTimeout: Duration

    public init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60)) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }

    public init(_ reader: EnvironmentReader) throws {
        let defaults = EdgeSettings()
        self.init(
            maxHeaderBytes: try reader.int("CLIENT_MAX_HEADER_BYTES", default: defaults.maxHeaderBytes, range: 1024...1024 * 1024),
            maxHeaderCount: try reader.int("CLIENT_MAX_HEADERS", default: defaults.maxHeaderCount, range: 1...10_000),
            headerTimeout: try reader.milliseconds("CLIENT_HEADER_TIMEOUT_MS", default: defaults.headerTimeout, range: 1...600_000),
            idleTimeout: try reader.milliseconds("CLIENT_IDLE_TIMEOUT_MS", default: defaults.idleTimeout, range: 1...3_600_000)
        )
    }
}
