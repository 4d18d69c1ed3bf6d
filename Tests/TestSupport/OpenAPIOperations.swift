import Foundation

/// The operations of docs/openapi.yaml, read from its `paths` block (block
/// style, two spaces per level, as the document is written): what the drift
/// tests compare with the routers' registered routes.
public struct OpenAPIOperations: Sendable {
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        /// Upper case, as on the wire.
        public let method: String
        /// As in the document, e.g. `/api/items/{id}`.
        public let path: String
        /// The path's `x-served-by`; `nil` when every service serves it.
        public let servedBy: [String]?

        public var description: String { "\(self.method) \(self.path)" }

        public func isServed(by service: String) -> Bool { self.servedBy?.contains(service) ?? true }
    }

    public let all: [Operation]

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace", "query"]

    public init(yaml: String) throws {
        var operations: [Operation] = []
        var inPaths = false
        var path: String?
        var pending: [String] = []
        var servedBy: [String]?
        func flush() {
            if let path { operations += pending.map { Operation(method: $0.uppercased(), path: path, servedBy: servedBy) } }
            pending = []
            servedBy = nil
        }
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.isEmpty {
                flush()
                path = nil
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                flush()
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if Self.methods.contains(String(key)) { pending.append(String(key)) }
                if key == "x-served-by", let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") {
                    servedBy = line[line.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
            }
        }
        flush()
        guard !operations.isEmpty else { throw TestServerError("no operation found under paths: in the OpenAPI document") }
        self.all = operations
    }
}
