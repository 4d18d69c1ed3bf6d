#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// How data-api reaches Redis: `REDIS_URL` (`redis://[:password@]host:port[/db]`),
/// `REDIS_PASSWORD(_FILE)` (overrides the URL's), pool size and timeouts.
struct RedisSettings: Sendable {
    var host: String
    var port: Int
    var database: Int
    var password: String?
    var poolSize: Int
    var connectTimeout: Duration
    var commandTimeout: Duration
    var acquireTimeout: Duration
}

extension RedisSettings {
    init(_ reader: EnvironmentReader) throws {
        let url = reader.string("REDIS_URL", default: "redis://127.0.0.1:56379/0")
        // The message never repeats the URL: it may hold a password.
        let invalid = ConfigError(setting: "REDIS_URL", problem: "must look like redis://[:password@]host:port[/db]")
        guard let components = URLComponents(string: url), components.scheme == "redis", let host = components.host, !host.isEmpty else {
            throw invalid
        }
        let path = components.path.trimming { $0 == "/" }
        guard let database = path.isEmpty ? 0 : Int(path), (0...15).contains(database) else { throw invalid }
        // `password` is percent-decoded already (once: "%25" is a literal "%").
        let urlPassword = components.password.flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            host: host,
            port: components.port ?? 6379,
            database: database,
            password: try reader.secret("REDIS_PASSWORD") ?? urlPassword,
            poolSize: try reader.int("REDIS_POOL_SIZE", default: 8, range: 1...200),
            connectTimeout: try reader.milliseconds("REDIS_CONNECT_TIMEOUT_MS", default: .milliseconds(500), range: 1...60_000),
            commandTimeout: try reader.milliseconds("REDIS_COMMAND_TIMEOUT_MS", default: .milliseconds(250), range: 1...60_000),
            acquireTimeout: try reader.milliseconds("REDIS_ACQUIRE_TIMEOUT_MS", default: .milliseconds(250), range: 1...60_000)
        )
    }
}
