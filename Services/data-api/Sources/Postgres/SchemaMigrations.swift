/// The schema, as an ordered list of migrations applied once each.
///
/// ``apply(_:)`` runs in one transaction under a transaction-scoped advisory
/// lock, so replicas starting together apply each migration exactly once and
/// the others wait, then find nothing to do.
enum SchemaMigrations {
    /// The advisory lock key for migrations ("dataapi" in ASCII).
    static let lockKey = "7017201979437417"

    static let all: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE items (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
                    description text CHECK (description IS NULL OR char_length(description) <= 2000),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    version integer NOT NULL DEFAULT 1
                )
                """,
                """
                CREATE TABLE idempotency_keys (
                    key text PRIMARY KEY,
                    request_hash text NOT NULL,
                    status integer NOT NULL,
                    body text NOT NULL,
                    location text,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)",
            ]
        )
    ]

    /// Applies the missing migrations; returns the versions applied now.
    static func apply(_ postgres: PostgresClient) async throws -> [Int] {
        try await postgres.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock($1::bigint)", [Self.lockKey])
            try connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            let applied = Set(try connection.query("SELECT version FROM schema_migrations").all.compactMap { $0.int("version") })
            var appliedNow: [Int] = []
            for migration in Self.all where !applied.contains(migration.version) {
                for statement in migration.statements { try connection.query(statement) }
                try connection.query("INSERT INTO schema_migrations (version) VALUES ($1)", [String(migration.version)])
                appliedNow.append(migration.version)
            }
            return appliedNow
        }
    }
}
