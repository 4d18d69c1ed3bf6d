import Foundation
import Shared
import Testing

@Suite struct OpenAPIDocumentTests {
    /// The binaries serve docs/openapi.yaml as it is in the tree (the build
    /// plugin embeds it again whenever it changes).
    @Test func theEmbeddedDocumentIsDocsOpenAPIYAML() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../docs/openapi.yaml")
        let onDisk = try Data(contentsOf: file)
        #expect(!OpenAPIDocument.yaml.isEmpty)
        #expect(OpenAPIDocument.yaml == Array(onDisk))
        #expect(String(decoding: OpenAPIDocument.yaml, as: UTF8.self).hasPrefix("openapi: 3.1."))
    }
}
