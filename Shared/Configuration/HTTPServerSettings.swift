/// `HTTP_HOST` and `HTTP_PORT`: where a service listens.
public struct HTTPServerSettings: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(_ reader: EnvironmentReader, defaultPort: Int) throws {
        self.init(
            host: reader.string("HTTP_HOST", default: "127.0.0.1"),
            port: try reader.int("HTTP_PORT", default: defaultPort, range: 0...65535)
        )
    }
}
