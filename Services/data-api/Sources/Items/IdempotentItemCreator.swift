#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `POST /api/items` with an `Idempotency-Key`: the first request with a key
/// creates the item and stores its response in PostgreSQL, in the same
/// transaction; a repeat within `ttl` gets the stored response and creates
/// nothing. A repeat with a different body is refused (the key was reused).
///
/// Requests with the same key are serialized by a transaction-scoped advisory
/// lock on the key's hash, so two concurrent retries can't both create.
struct IdempotentItemCreator: Sendable {
    let postgres: PostgresClient
    let ttl: Duration

    enum Outcome: Sendable, Equatable {
        case created(Item, body: String)
        case replayed(status: Int, body: String, location: String?)
        case keyReused
    }

    func create(key: String, name: String, description: String?) async throws -> Outcome {
        let fingerprint = "\(name)\u{1F}\(description ?? "\u{1E}")"
        let ttlSeconds = String(Int(self.ttl.milliseconds / 1000))
        return try await self.postgres.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key])
            try connection.query(
                "DELETE FROM idempotency_keys WHERE key = $1 AND created_at < now() - make_interval(secs => $2::integer)",
                [key, ttlSeconds]
            )
            if let stored = try connection.query(
                "SELECT request_hash = md5($2) AS same_request, status, body, location FROM idempotency_keys WHERE key = $1",
                [key, fingerprint]
            ).first {
                guard stored["same_request"] == "t" else { return .keyReused }
                return .replayed(status: stored.int("status") ?? 201, body: stored["body"] ?? "", location: stored["location"])
            }
            let item = try ItemStore.insert(connection, name: name, description: description)
            let body = String(decoding: try JSONEncoder().encode(item), as: UTF8.self)
            try connection.query(
                "INSERT INTO idempotency_keys (key, request_hash, status, body, location) VALUES ($1, md5($2), 201, $3, $4)",
                [key, fingerprint, body, "/api/items/\(item.id)"]
            )
            return .created(item, body: body)
        }
    }

    /// Deletes every expired key; returns how many.
    func purgeExpired() async throws -> Int {
        let ttlSeconds = String(Int(self.ttl.milliseconds / 1000))
        return try await self.postgres.withConnection(idempotent: true) { connection in
            try connection.query("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1::integer)", [ttlSeconds]).affectedRows
        }
    }
}
