import Foundation
import Shared

extension ItemInput {
    static let nameLimit = 200
    static let descriptionLimit = 2000

    /// The validated fields, or a 422 problem naming every failing field.
    /// Lengths count characters (extended grapheme clusters), as a person does.
    func validated() throws -> (name: String, description: String?) {
        var errors: [ProblemDetails.FieldError] = []
        let name = self.name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if self.name == nil {
            errors.append(.init(field: "name", detail: "is required"))
        } else if name.isEmpty {
            errors.append(.init(field: "name", detail: "must not be blank"))
        } else if name.count > Self.nameLimit {
            errors.append(.init(field: "name", detail: "must be at most \(Self.nameLimit) characters"))
        }
        if let description = self.description, description.count > Self.descriptionLimit {
            errors.append(.init(field: "description", detail: "must be at most \(Self.descriptionLimit) characters"))
        }
        if name.utf8.contains(0) || (self.description?.utf8.contains(0) ?? false) {
            errors.append(.init(field: name.utf8.contains(0) ? "name" : "description", detail: "must not contain NUL characters"))
        }
        guard errors.isEmpty else {
            throw ProblemDetails(.unprocessableContent, title: "Validation failed", detail: "Some fields are invalid.", errors: errors)
        }
        return (name, self.description)
    }
}
