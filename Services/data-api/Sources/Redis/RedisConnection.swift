import CHiredis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

/// A Redis reply, copied out of hiredis.
enum RedisReply: Sendable, Equatable {
    case status(String)
    case bulk([UInt8])
    case integer(Int)
    case array([RedisReply])
    case null
    case error(String)
}

/// One hiredis connection. Every method blocks (bounded by the connect and
/// command timeouts, set with `redisSetTimeout`): call them only on the pool's
/// thread pool. Freed (`redisFree`) in `deinit`.
///
/// Commands go through `redisCommandArgv` only: binary-safe, no formatting, no injection.
final class RedisConnection: BlockingConnection, @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects within `connectTimeout` in all: name resolution
    /// (``HostResolver``; hiredis would call an unbounded `getaddrinfo`), the
    /// TCP connect to each address in turn, `AUTH` and `SELECT`.
    init(settings: RedisSettings) throws {
        let deadline = ContinuousClock.now + settings.connectTimeout
        let addresses = try HostResolver.shared.resolve(settings.host, deadline: deadline)
        var connected: UnsafeMutablePointer<redisContext>?
        var lastError = RedisError.connectionFailed
        for address in addresses {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                lastError = .timeout
                break
            }
            guard let context = redisConnectWithTimeout(address, Int32(settings.port), timeval(remaining)) else { continue }
            if context.pointee.err == 0 {
                connected = context
                break
            }
            lastError = RedisError.io(message: Self.errorText(context))
            redisFree(context)
        }
        guard let context = connected else { throw lastError }
        self.context = context
        // The handshake shares the connect deadline; commands get their own timeout after it.
        redisSetTimeout(context, timeval(max(.milliseconds(1), deadline - ContinuousClock.now)))
        redisEnableKeepAlive(context)
        if let password = settings.password {
            guard case .status = try self.command(["AUTH", password]) else { throw RedisError.authenticationFailed }
        }
        if settings.database != 0 {
            guard case .status = try self.command(["SELECT", String(settings.database)]) else { throw RedisError.commandFailed }
        }
        redisSetTimeout(context, timeval(settings.commandTimeout))
    }

    deinit {
        redisFree(self.context)
    }

    var isBroken: Bool { self.context.pointee.err != 0 }

    /// Sends one command and returns its reply; an error reply is returned as
    /// `.error`, an I/O failure or timeout is thrown.
    @discardableResult
    func command(_ arguments: [String]) throws -> RedisReply {
        let byteArguments = arguments.map { Array($0.utf8) }
        return try self.command(bytes: byteArguments)
    }

    func command(bytes arguments: [[UInt8]]) throws -> RedisReply {
        let lengths = arguments.map { $0.count }
        let copies: [UnsafeMutablePointer<CChar>] = arguments.map { argument in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { raw in
                if let base = raw.baseAddress { buffer.withMemoryRebound(to: UInt8.self, capacity: argument.count) { $0.update(from: base.assumingMemoryBound(to: UInt8.self), count: argument.count) } }
            }
            return buffer
        }
        defer { copies.forEach { $0.deallocate() } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        let raw = pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argvlen in
                redisCommandArgv(self.context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
            }
        }
        guard let raw else { throw RedisError.io(message: Self.errorText(self.context)) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply.pointee)
    }

    private static func convert(_ reply: redisReply) -> RedisReply {
        switch reply.type {
        case REDIS_REPLY_STATUS: return .status(Self.text(reply))
        case REDIS_REPLY_ERROR: return .error(Self.text(reply))
        case REDIS_REPLY_INTEGER: return .integer(Int(reply.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_STRING:
            guard let str = reply.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: str, count: reply.len)))
        case REDIS_REPLY_ARRAY:
            return .array((0..<reply.elements).compactMap { reply.element[$0].map { convert($0.pointee) } })
        default:
            return .error("unknown reply type")
        }
    }

    private static func text(_ reply: redisReply) -> String {
        guard let str = reply.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: reply.len), as: UTF8.self)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

extension timeval {
    init(_ duration: Duration) {
        let microseconds = Int(duration.milliseconds * 1000)
        self.init(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
    }
}
