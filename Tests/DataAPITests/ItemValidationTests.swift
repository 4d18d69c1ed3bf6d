import Hummingbird
import Shared
import Testing

@testable import DataAPI

@Suite struct ItemValidationTests {
    func fieldErrors(_ input: ItemInput) -> [String] {
        do {
            _ = try input.validated()
            return []
        } catch let problem as ProblemDetails {
            #expect(problem.status == .unprocessableContent)
            return problem.errors?.map(\.field) ?? []
        } catch {
            Issue.record("unexpected \(error)")
            return []
        }
    }

    @Test func acceptsValidInputAndTrimsTheName() throws {
        let (name, description) = try ItemInput(name: "  Widget ", description: "a thing").validated()
        #expect(name == "Widget")
        #expect(description == "a thing")
    }

    @Test func nameIsRequiredAndBounded() {
        #expect(self.fieldErrors(ItemInput(name: nil)) == ["name"])
        #expect(self.fieldErrors(ItemInput(name: "   ")) == ["name"])
        #expect(self.fieldErrors(ItemInput(name: String(repeating: "a", count: 200))) == [])
        #expect(self.fieldErrors(ItemInput(name: String(repeating: "a", count: 201))) == ["name"])
        // Code points, not bytes: 200 emoji of one code point each are a valid name…
        #expect(self.fieldErrors(ItemInput(name: String(repeating: "🙂", count: 200))) == [])
        // …and not grapheme clusters: 200 "é" written as e + U+0301 are 400 code points.
        #expect(self.fieldErrors(ItemInput(name: String(repeating: "e\u{301}", count: 100))) == [])
        #expect(self.fieldErrors(ItemInput(name: String(repeating: "e\u{301}", count: 200))) == ["name"])
        #expect(self.fieldErrors(ItemInput(name: String(repeating: "a", count: 199) + "👍🏽")) == ["name"])
    }

    @Test func descriptionIsOptionalAndBounded() {
        #expect(self.fieldErrors(ItemInput(name: "a", description: String(repeating: "d", count: 2000))) == [])
        #expect(self.fieldErrors(ItemInput(name: "a", description: String(repeating: "d", count: 2001))) == ["description"])
        #expect(self.fieldErrors(ItemInput(name: "a", description: String(repeating: "🇫🇷", count: 1001))) == ["description"])
    }

    @Test func namesEveryFailingField() {
        #expect(self.fieldErrors(ItemInput(name: "", description: String(repeating: "d", count: 2001))) == ["name", "description"])
    }

    @Test func constantTimeTokenComparison() {
        typealias M = BearerTokenMiddleware<Hummingbird.BasicRequestContext>
        #expect(M.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!M.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!M.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
    }
}
