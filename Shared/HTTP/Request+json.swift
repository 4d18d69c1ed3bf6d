#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes
import Hummingbird

extension Request {
    /// Decodes a JSON body, answering bad input with the right problem:
    /// a media type other than JSON → 415, a body over `limit` → 413,
    /// malformed JSON or wrong types → 400.
    public func decodeJSON<T: Decodable>(as type: T.Type, limit: Int, context: some RequestContext) async throws -> T {
        guard let contentType = self.headers[.contentType], let mediaType = MediaType(from: contentType),
            mediaType.isType(.application),
            mediaType.subType == "json" || mediaType.subType.hasSuffix("+json")
        else {
            throw ProblemDetails(.unsupportedMediaType, detail: "Send the body as application/json.")
        }
        if let length = self.headers[.contentLength].flatMap(Int.init), length > limit {
            throw ProblemDetails(.contentTooLarge, detail: "The request body is over the \(limit)-byte limit.")
        }
        let body = self.body
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ProblemDetails(.contentTooLarge, detail: "The request body is over the \(limit)-byte limit.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw ProblemDetails(.badRequest, title: "Malformed JSON", detail: Self.describe(error))
        } catch {
            throw ProblemDetails(.badRequest, title: "Malformed JSON", detail: "The body is not valid JSON.")
        }
    }

    /// A short description of a decoding error that names the field, not the input.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the body" : names.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "Wrong type for \(path(context))."
        case .keyNotFound(let key, _):
            return "Missing field \(key.stringValue)."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "The body is not valid JSON." : "Invalid value for \(path(context))."
        @unknown default:
            return "The body is not valid JSON."
        }
    }
}
