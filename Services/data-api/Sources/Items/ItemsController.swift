#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes
import Hummingbird
import Shared

/// The items API under `/api/items`.
///
/// Reads of one item go through ``ItemCache`` (`X-Cache: hit|miss|bypass`);
/// with PostgreSQL down, cached items are still served and everything else
/// gets a 503 problem with `Retry-After`.
struct ItemsController<Context: RequestContext>: Sendable {
    let store: ItemStore
    let cache: ItemCache
    let idempotency: IdempotentItemCreator
    /// The largest request body accepted.
    static var bodyLimit: Int { 64 * 1024 }

    func register(on group: RouterGroup<Context>) {
        group.get("items", use: self.list)
        group.post("items", use: self.create)
        group.get("items/{id}", use: self.show)
        group.put("items/{id}", use: self.update)
        group.delete("items/{id}", use: self.delete)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let limit = try Self.queryInt(request, "limit", default: 20, range: 1...100)
        let after = try Self.queryInt(request, "after", default: 0, range: 0...Int(Int64.max))
        let page = try await Self.database { try await self.store.list(after: after, limit: limit) }
        return try Self.json(page, status: .ok)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        let id = try Self.itemID(context)
        switch await self.cache.lookup(id) {
        case .hit(let item):
            return try Self.json(item, status: .ok, headers: [.eTag: item.etag, .xCache: "hit"])
        case let lookup:
            guard let item = try await Self.database({ try await self.store.find(id: id) }) else { throw Self.notFound(id) }
            guard case .miss = lookup else {
                return try Self.json(item, status: .ok, headers: [.eTag: item.etag, .xCache: "bypass"])
            }
            await self.cache.store(item)
            return try Self.json(item, status: .ok, headers: [.eTag: item.etag, .xCache: "miss"])
        }
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let input = try await request.decodeJSON(as: ItemInput.self, limit: Self.bodyLimit, context: context)
        let (name, description) = try input.validated()
        guard let key = request.headers[.idempotencyKey] else {
            let item = try await Self.database { try await self.store.create(name: name, description: description) }
            return try Self.json(item, status: .created, headers: [.location: "/api/items/\(item.id)", .eTag: item.etag])
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ProblemDetails(.badRequest, detail: "Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
        switch try await Self.database({ try await self.idempotency.create(key: key, name: name, description: description) }) {
        case .created(let item, let body):
            return Self.raw(body, status: .created, headers: [.location: "/api/items/\(item.id)", .eTag: item.etag])
        case .replayed(let status, let body, let location):
            var headers: HTTPFields = [.idempotentReplayed: "true"]
            if let location { headers[.location] = location }
            return Self.raw(body, status: HTTPResponse.Status(code: status), headers: headers)
        case .keyReused:
            throw ProblemDetails(.unprocessableContent, title: "Idempotency-Key reused", detail: "This Idempotency-Key was used for a different request.")
        }
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let id = try Self.itemID(context)
        let expectedVersions = Self.expectedVersions(request)
        let input = try await request.decodeJSON(as: ItemInput.self, limit: Self.bodyLimit, context: context)
        let (name, description) = try input.validated()
        let outcome = try await Self.database {
            try await self.store.update(id: id, name: name, description: description, expectedVersions: expectedVersions)
        }
        switch outcome {
        case .updated(let item):
            await self.cache.invalidate(id)
            return try Self.json(item, status: .ok, headers: [.eTag: item.etag])
        case .notFound:
            throw Self.notFound(id)
        case .versionMismatch(let current):
            throw ProblemDetails(
                .preconditionFailed, title: "Version conflict",
                detail: "The item is at version \(current); re-read it and send If-Match: \"\(current)\".",
                headers: [.eTag: "\"\(current)\""]
            )
        }
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let id = try Self.itemID(context)
        guard try await Self.database({ try await self.store.delete(id: id) }) else { throw Self.notFound(id) }
        await self.cache.invalidate(id)
        return Response(status: .noContent)
    }

    // MARK: helpers

    /// Runs a database call, turning "PostgreSQL is unavailable" into a 503
    /// with `Retry-After`, and a value the server refused (SQLSTATE class 22
    /// or 23: validation should have caught it) into a 422, never a 500.
    static func database<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.isUnavailable {
            throw Self.unavailable(error)
        } catch let error as PostgresError where error.isRejectedValue {
            throw ProblemDetails(
                .unprocessableContent, title: "Invalid value",
                detail: "The database refused a value in the request (SQLSTATE \(error.sqlState ?? "unknown"))."
            )
        } catch let error as PoolError {
            throw Self.unavailable(error)
        } catch let error as ResolveError {
            throw Self.unavailable(error)
        }
    }

    static func unavailable(_ error: some SafeErrorDescription) -> ProblemDetails {
        ProblemDetails(.serviceUnavailable, title: "Database unavailable", detail: "The database is unavailable (\(error.safeDescription)); retry later.", retryAfterSeconds: 1)
    }

    static func itemID(_ context: Context) throws -> Int {
        let raw = context.parameters.get("id") ?? ""
        guard let id = Int(raw), id > 0, String(id) == raw else {
            throw ProblemDetails(.badRequest, title: "Malformed id", detail: "An item id is a positive integer.")
        }
        return id
    }

    static func notFound(_ id: Int) -> ProblemDetails {
        ProblemDetails(.notFound, detail: "No item with id \(id).")
    }

    static func queryInt(_ request: Request, _ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = request.uri.queryParameters.get(name) else { return defaultValue }
        guard let value = Int(raw), range.contains(value) else {
            throw ProblemDetails(
                .badRequest, title: "Invalid query parameter", detail: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).",
                errors: [.init(field: name, detail: "must be an integer from \(range.lowerBound) to \(range.upperBound)")]
            )
        }
        return value
    }

    /// The versions `If-Match` names: `nil` without the header or with `*`
    /// (any version). It is a list of entity-tags (RFC 9110 §13.1.1); `"3"`
    /// or `W/"3"` (1 to 18 digits) names version 3, and any other element,
    /// well-formed or not, names no version: it never matches (412), and the
    /// update never happens on a condition the server can't read.
    static func expectedVersions(_ request: Request) -> [Int]? {
        guard let header = request.headers[.ifMatch], header != "*" else { return nil }
        return header.split(separator: ",").compactMap { element -> Int? in
            var tag = element.trimmingWhitespace()[...]
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            guard tag.count >= 3, tag.count <= 20, tag.hasPrefix("\""), tag.hasSuffix("\"") else { return nil }
            let digits = tag.dropFirst().dropLast()
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(digits)
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Self.raw(String(decoding: try encoder.encode(value), as: UTF8.self), status: status, headers: headers)
    }

    static func raw(_ body: String, status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
