import Metrics
import Shared

/// Items in PostgreSQL. Every statement is parameterized.
///
/// Concurrent reads of one item share one query (``SingleFlight``): when a
/// hot item is missing from the cache (Redis restarted empty, or down), its
/// readers cost PostgreSQL one query per replica, not one each. An update or
/// a delete makes later reads start a query of their own, so a client reads
/// its own write.
///
/// `item_database_reads_total` counts the queries reads of one item made
/// (the demos' cold-cache herd compares it with the requests).
struct ItemStore: Sendable {
    let postgres: PostgresClient
    /// `nil`: every read makes its own query (`ITEM_READS_SINGLE_FLIGHT=false`).
    private let reads: SingleFlight<Int, Item?>?
    private let databaseReads: Counter

    init(postgres: PostgresClient, singleFlight: Bool = true, telemetry: Telemetry = Telemetry()) {
        self.postgres = postgres
        self.reads = singleFlight ? SingleFlight() : nil
        self.databaseReads = Counter(label: "item_database_reads_total", factory: telemetry.factory)
    }

    private static let columns = """
        id, name, description, version,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
        """

    func find(id: Int) async throws -> Item? {
        let query: @Sendable () async throws -> Item? = { [postgres, databaseReads] in
            databaseReads.increment()
            return try await postgres.withConnection(idempotent: true) { connection in
                try connection.query("SELECT \(Self.columns) FROM items WHERE id = $1", [String(id)]).first.map(Self.item)
            }
        }
        guard let reads = self.reads else { return try await query() }
        return try await reads.run(id, query)
    }

    func list(after: Int, limit: Int) async throws -> ItemPage {
        try await self.postgres.withConnection(idempotent: true) { connection in
            let rows = try connection.query(
                "SELECT \(Self.columns) FROM items WHERE id > $1 ORDER BY id LIMIT $2",
                [String(after), String(limit + 1)]
            ).all.map(Self.item)
            let page = Array(rows.prefix(limit))
            return ItemPage(items: page, nextAfter: rows.count > limit ? page.last?.id : nil)
        }
    }

    func create(name: String, description: String?) async throws -> Item {
        try await self.postgres.withConnection(idempotent: false) { connection in
            try Self.insert(connection, name: name, description: description)
        }
    }

    static func insert(_ connection: PostgresConnection, name: String, description: String?) throws -> Item {
        guard let row = try connection.query(
            "INSERT INTO items (name, description) VALUES ($1, $2) RETURNING \(Self.columns)", [name, description]
        ).first else { throw PostgresError.query(sqlState: nil) }
        return Self.item(row)
    }

    enum UpdateOutcome: Sendable, Equatable {
        case updated(Item)
        case notFound
        case versionMismatch(current: Int)
    }

    /// Updates when `expectedVersions` is `nil` or holds the stored version.
    func update(id: Int, name: String, description: String?, expectedVersions: [Int]?) async throws -> UpdateOutcome {
        defer { self.reads?.forget(id) }
        return try await self.postgres.withConnection(idempotent: false) { connection in
            let updated = try connection.query(
                """
                UPDATE items SET name = $2, description = $3, updated_at = now(), version = version + 1
                WHERE id = $1 AND ($4::bigint[] IS NULL OR version = ANY($4::bigint[]))
                RETURNING \(Self.columns)
                """,
                [String(id), name, description, expectedVersions.map { "{\($0.map(String.init).joined(separator: ","))}" }]
            )
            if let row = updated.first { return .updated(Self.item(row)) }
            guard let current = try connection.query("SELECT version FROM items WHERE id = $1", [String(id)]).first?.int("version") else {
                return .notFound
            }
            return .versionMismatch(current: current)
        }
    }

    /// `true` when an item was deleted.
    func delete(id: Int) async throws -> Bool {
        defer { self.reads?.forget(id) }
        return try await self.postgres.withConnection(idempotent: false) { connection in
            try connection.query("DELETE FROM items WHERE id = $1", [String(id)]).affectedRows == 1
        }
    }

    static func item(_ row: PostgresRow) -> Item {
        Item(
            id: row.int("id") ?? 0,
            name: row["name"] ?? "",
            description: row["description"],
            createdAt: row["created_at"] ?? "",
            updatedAt: row["updated_at"] ?? "",
            version: row.int("version") ?? 0
        )
    }
}
