/// One logical database (`SELECT n`) of a ``RedisTestServer``: what a test's
/// services use, apart from other tests' keys on a shared server. One
/// borrowed from the shared server is given back when released.
public final class RedisTestDatabase: Sendable {
    /// The server it is on (a test stops only a server of its own).
    public let server: RedisTestServer
    /// The database's number.
    public let index: Int
    private let giveBack: (@Sendable () -> Void)?

    init(server: RedisTestServer, index: Int, giveBack: (@Sendable () -> Void)? = nil) {
        self.server = server
        self.index = index
        self.giveBack = giveBack
    }

    deinit {
        self.giveBack?()
    }

    /// data-api's `REDIS_URL` for it (the password goes apart).
    public var url: String { "redis://127.0.0.1:\(self.server.port)/\(self.index)" }
    /// The server's password.
    public var password: String { self.server.password }

    /// Runs a redis-cli command on this database; returns its trimmed output.
    @discardableResult
    public func cli(_ arguments: [String]) throws -> String {
        try self.server.cli(["-n", String(self.index)] + arguments)
    }
}
