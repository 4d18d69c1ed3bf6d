#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

extension ItemInput {
    static let nameLimit = 200
    static let descriptionLimit = 2000

    /// The validated fields, or a 422 problem naming every failing field; the
    /// rules of `ItemInput` in docs/openapi.yaml, exactly.
    ///
    /// A length counts Unicode code points (scalars), what PostgreSQL's
    /// `char_length` in the schema's CHECK and JSON Schema's `maxLength` count:
    /// "é" written as `e` + U+0301 is two, a flag is two, 🙂 is one. (Counting
    /// grapheme clusters, `String.count`, let names through that the database
    /// refused.) The name's limit applies as sent; it is stored without
    /// surrounding white space (the Unicode White_Space property).
    func validated() throws -> (name: String, description: String?) {
        var errors: [ProblemDetails.FieldError] = []
        let name = self.name.map(Self.trimmed) ?? ""
        if let raw = self.name, raw.unicodeScalars.count > Self.nameLimit {
            errors.append(.init(field: "name", detail: "must be at most \(Self.nameLimit) characters (Unicode code points)"))
        } else if self.name == nil {
            errors.append(.init(field: "name", detail: "is required"))
        } else if name.isEmpty {
            errors.append(.init(field: "name", detail: "must not be blank"))
        }
        if let description = self.description, description.unicodeScalars.count > Self.descriptionLimit {
            errors.append(.init(field: "description", detail: "must be at most \(Self.descriptionLimit) characters (Unicode code points)"))
        }
        // PostgreSQL's text can't hold U+0000 (and libpq would cut the value there).
        if name.utf8.contains(0) {
            errors.append(.init(field: "name", detail: "must not contain NUL characters"))
        }
        if self.description?.utf8.contains(0) == true {
            errors.append(.init(field: "description", detail: "must not contain NUL characters"))
        }
        guard errors.isEmpty else {
            throw ProblemDetails(.unprocessableContent, title: "Validation failed", detail: "Some fields are invalid.", errors: errors)
        }
        return (name, self.description)
    }

    /// `value` without leading and trailing White_Space code points.
    static func trimmed(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
