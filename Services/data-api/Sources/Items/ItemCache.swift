#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Shared

/// Cache-aside for single items in Redis, keyed `item:v1:<id>`, with a TTL.
///
/// Redis is not critical: every failure is swallowed and reported as a
/// bypass, and while the Redis health check is failing reads skip Redis
/// altogether (no per-request timeout against a dead cache). Invalidation is
/// always attempted; if Redis can't be reached then, the entry expires
/// after at most the TTL.
struct ItemCache: Sendable {
    let redis: RedisClient
    let ttlSeconds: Int
    /// `false` while the Redis health check is failing.
    let isAvailable: @Sendable () -> Bool
    let logger: Logger

    enum Lookup: Sendable {
        case hit(Item)
        case miss
        case bypass
    }

    static func key(_ id: Int) -> String { "item:v1:\(id)" }

    func lookup(_ id: Int) async -> Lookup {
        guard self.isAvailable() else { return .bypass }
        do {
            guard let bytes = try await self.redis.get(Self.key(id)) else { return .miss }
            guard let item = try? JSONDecoder().decode(Item.self, from: Data(bytes)) else {
                // An entry we can't read is as good as none; it will be overwritten.
                return .miss
            }
            return .hit(item)
        } catch {
            return .bypass
        }
    }

    /// Stores `item`; `true` when Redis took it.
    @discardableResult
    func store(_ item: Item) async -> Bool {
        guard self.isAvailable(), let data = try? JSONEncoder().encode(item) else { return false }
        do {
            try await self.redis.set(Self.key(item.id), String(decoding: data, as: UTF8.self), ttlSeconds: self.ttlSeconds)
            return true
        } catch {
            return false
        }
    }

    func invalidate(_ id: Int) async {
        do {
            try await self.redis.delete(Self.key(id))
        } catch {
            self.logger.warning(
                "cache invalidation failed; entry expires with its TTL",
                metadata: ["item_id": "\(id)", "cause": "\(error.safeDescription)", "ttl_s": "\(self.ttlSeconds)"]
            )
        }
    }
}
