import Shared
import Testing

/// The trimming that replaced Foundation's `trimmingCharacters(in:)`: the
/// expected values are what Foundation returns for the same input.
@Suite struct StringTrimmingTests {
    @Test func whitespaceIsSpacesAndTabsNotLineBreaks() {
        #expect(" \u{A0}\u{3000}x y\t".trimmingWhitespace() == "x y")
        #expect(" x\t\n".trimmingWhitespace() == "x\t\n")
        #expect("\t \t".trimmingWhitespace() == "")
        #expect("".trimmingWhitespace() == "")
    }

    @Test func whitespaceAndNewlinesIncludesEveryLineBreak() {
        #expect(" \u{2028}x\u{85}\r\n".trimmingWhitespaceAndNewlines() == "x")
        #expect("\u{B}\u{C}1024\n".trimmingWhitespaceAndNewlines() == "1024")
        #expect("max\n".trimmingWhitespaceAndNewlines() == "max")
    }

    @Test func trimsOnlyTheGivenScalarsAtBothEnds() {
        #expect("[::1]".trimming { $0 == "[" || $0 == "]" } == "::1")
        #expect("/3/".trimming { $0 == "/" } == "3")
        #expect("a/b".trimming { $0 == "/" } == "a/b")
        #expect(" e\u{301} ".trimmingWhitespace() == "e\u{301}")
    }
}
