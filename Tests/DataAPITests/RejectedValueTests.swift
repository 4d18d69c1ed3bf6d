import Hummingbird
import Shared
import TestSupport
import Testing

@testable import DataAPI

/// Every kind of PostgreSQL error a client's value can cause (SQLSTATE class
/// 22, data exception, and 23, integrity constraint), raised by a real
/// server, answers a 422 problem through the items API's error mapping,
/// never a 500; any other server error still does.
@Suite(.serialized) struct RejectedValueTests {
    let postgres: PostgresTestDatabase
    let client: PostgresClient

    init() async throws {
        let postgres = try await PostgresTestServer.sharedDatabase()
        self.postgres = postgres
        self.client = PostgresClient(
            settings: PostgresSettings(
                url: postgres.url, password: postgres.password, poolSize: 2, connectTimeoutSeconds: 2,
                statementTimeout: .seconds(5), acquireTimeout: .seconds(2)
            )
        )
        _ = try await SchemaMigrations.apply(self.client)
    }

    /// The statements of one case, run in one transaction.
    typealias Statements = @Sendable (PostgresConnection) throws -> Void

    static let cases: [(sqlState: String, what: String, statements: Statements)] = [
        (
            "22001", "string too long for its column",
            { connection in
                try connection.query("CREATE TEMP TABLE short_text (v varchar(3)) ON COMMIT DROP")
                try connection.query("INSERT INTO short_text VALUES ($1)", ["abcd"])
            }
        ),
        ("22003", "number out of range", { try $0.query("SELECT $1::integer", ["99999999999"]) }),
        ("22021", "invalid UTF-8", { try $0.query(#"SELECT convert_from('\xc328'::bytea, 'UTF8')"#) }),
        ("22P02", "text that is not a number", { try $0.query("SELECT $1::bigint", ["12abc"]) }),
        ("22P05", "a NUL character (\\u0000)", { try $0.query("SELECT $1::jsonb", [#""a\u0000b""#]) }),
        (
            "23514", "a CHECK: a name over 200 code points",
            { try $0.query("INSERT INTO items (name) VALUES ($1)", [String(repeating: "e\u{301}", count: 101)]) }
        ),
        ("23502", "NOT NULL", { try $0.query("INSERT INTO items (name) VALUES (NULL)") }),
    ]

    @Test(arguments: 0..<Self.cases.count)
    func aRefusedValueIsA422(_ index: Int) async throws {
        let (sqlState, what, statements) = Self.cases[index]
        do {
            try await ItemsController<BasicRequestContext>.database {
                try await self.client.transaction(statements)
            }
            Issue.record("\(what): PostgreSQL accepted it")
        } catch let problem as ProblemDetails {
            #expect(problem.status == .unprocessableContent, "\(what)")
            #expect(problem.detail?.contains("SQLSTATE \(sqlState)") == true, "\(what): \(problem.detail ?? "")")
        }
    }

    @Test func anyOtherServerErrorIsNotBlamedOnTheClient() async throws {
        await #expect(throws: PostgresError.query(sqlState: "42P01")) {
            try await ItemsController<BasicRequestContext>.database {
                try await self.client.withConnection(idempotent: true) { try $0.query("SELECT * FROM no_such_table") }
            }
        }
    }
}
