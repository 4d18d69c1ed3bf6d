import Foundation
import Testing

/// README.md and docs/*.md point only at what is there: every relative link or
/// image names a file of the repository, and its `#anchor` a heading of that
/// file; README.md, a newcomer's first page, links nothing outside the repository.
@Suite struct DocumentationLinkTests {
    private static let root = RenderedOverlay.repositoryRoot.standardizedFileURL

    /// README.md and every page under docs/, as paths from the repository root.
    private static func pages() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
    }

    @Test func relativeLinksResolve() throws {
        let pages = try Self.pages()
        #expect(pages.count > 1, "no page found under docs/")
        for page in pages {
            let file = Self.root.appendingPathComponent(page)
            for target in try Self.links(in: file) where Self.scheme(of: target) == nil {
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let linked = parts[0].isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(parts[0]).standardizedFileURL
                #expect(linked.path.hasPrefix(Self.root.path + "/"), "\(page): \(target) leads outside the repository")
                #expect(FileManager.default.fileExists(atPath: linked.path), "\(page): \(target) names no file")
                if parts.count == 2, linked.pathExtension == "md", FileManager.default.fileExists(atPath: linked.path) {
                    #expect(try Self.anchors(in: linked).contains(parts[1]), "\(page): \(target) names no heading")
                }
            }
        }
    }

    @Test func readmeLinksNothingOutsideTheRepository() throws {
        let readme = Self.root.appendingPathComponent("README.md")
        let links = try Self.links(in: readme)
        #expect(!links.isEmpty, "README.md has no link: the link syntax was not recognised")
        for target in links {
            #expect(Self.scheme(of: target) == nil, "README.md links outside the repository: \(target)")
        }
        // A bare URL in prose is a link on a rendered page too; in code it is text.
        for line in try Self.prose(of: readme) where line.contains("://") {
            Issue.record("README.md has a URL outside code: \(line)")
        }
    }

    /// The lines of a Markdown file outside fenced code blocks.
    private static func lines(of file: URL) throws -> [String] {
        var inFence = false
        var lines: [String] = []
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
            } else if !inFence {
                lines.append(String(line))
            }
        }
        return lines
    }

    /// Those lines without their code spans: what a page renders as text and links.
    private static func prose(of file: URL) throws -> [String] {
        try lines(of: file).map { $0.replacing(/`[^`]*`/, with: "") }
    }

    /// The targets of every inline link and image: `[text](target)`, `![alt](target)`.
    private static func links(in file: URL) throws -> [String] {
        try prose(of: file).flatMap { line in
            line.matches(of: /\[[^\]]*\]\(([^)\s]+)\)/).map { String($0.1) }
        }
    }

    /// The anchors GitHub gives a file's headings: lower case, spaces to `-`,
    /// every other character that is not a letter, a digit, `-` or `_` dropped.
    private static func anchors(in file: URL) throws -> Set<String> {
        Set(try lines(of: file).compactMap { line -> String? in
            guard let heading = line.firstMatch(of: /^#{1,6} +(.+?) *$/)?.1 else { return nil }
            var anchor = ""
            for scalar in heading.lowercased().unicodeScalars {
                if scalar == " " {
                    anchor.append("-")
                } else if scalar == "-" || scalar == "_" || CharacterSet.alphanumerics.contains(scalar) {
                    anchor.unicodeScalars.append(scalar)
                }
            }
            return anchor
        })
    }

    /// `https`, `mailto`, ... when the target is a URL; nil for a path.
    private static func scheme(of target: String) -> String? {
        target.firstMatch(of: /^([A-Za-z][A-Za-z0-9+.\-]*):/).map { String($0.1) }
    }
}
