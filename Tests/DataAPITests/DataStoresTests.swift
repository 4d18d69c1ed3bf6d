import TestSupport
import Testing

/// What makes the shared servers safe for tests running in parallel
/// (``DataStores``): each test's rows, keys and logged statements are its
/// own, and no test can stop a server the others use.
@Suite struct DataStoresTests {
    @Test func sharedStoresAreTheSameServersButDatabasesApart() async throws {
        let (first, second) = (try await DataStores.shared(), try await DataStores.shared())
        #expect(first.postgres.server === second.postgres.server && first.redis.server === second.redis.server)
        #expect(first.postgres.name != second.postgres.name && first.redis.index != second.redis.index)
        let seen = try await offloaded {
            try first.postgres.psql("CREATE TABLE mine (v int); INSERT INTO mine VALUES (1)")
            try first.redis.cli(["SET", "mine", "1"])
            return [
                try second.postgres.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'mine'"),
                try second.redis.cli(["EXISTS", "mine"]), try second.redis.cli(["DBSIZE"]),
            ]
        }
        #expect(seen == ["0", "0", "0"], "the other test's table, its key, any key in a database just borrowed")
    }

    @Test func logCountsSeeOnlyTheTestsOwnDatabase() async throws {
        let (mine, other) = (try await DataStores.shared(), try await DataStores.shared())
        let counts = try await offloaded {
            try mine.postgres.psql("SELECT 'log-count-start'")
            try other.postgres.psql("SELECT 'log-count-marker'")
            try mine.postgres.psql("SELECT 'log-count-marker'\n, 'on a second line'")
            try mine.postgres.psql("SELECT 'log-count-end'")
            return [
                try mine.postgres.received("log-count-marker", between: "log-count-start", and: "log-count-end"),
                try mine.postgres.received("on a second line", between: "log-count-start", and: "log-count-end"),
                try mine.postgres.loggedStatements(between: "log-count-start", and: "log-count-end").count,
            ]
        }
        #expect(counts == [1, 1, 1], "its own statement, with its second line, not the other test's")
    }

    @Test func theSharedServersRefuseToStop() async throws {
        let stores = try await DataStores.shared()
        #expect(throws: TestServerError.self) { try stores.postgres.server.stop() }
        #expect(throws: TestServerError.self) { try stores.redis.server.stop() }
        #expect(try stores.redis.cli(["PING"]) == "PONG")
    }
}
