import Foundation
import TestSupport
import Yams

/// One overlay of `deploy/kubernetes`, rendered by `kubectl kustomize` (the
/// `KUBECTL` the `kubernetes` stage of scripts/test installs, else `kubectl`
/// on PATH) and parsed. Immutable once built, so it is shared across tests
/// although Yams' `Node` is not marked `Sendable`.
struct RenderedOverlay: @unchecked Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let name: String
    let text: String
    let objects: [Node]

    /// The overlay, rendered once per test run on a thread of its own:
    /// `kubectl` blocks the calling thread, and a render inside a lazy
    /// static's initializer holds Swift's cooperative threads (two on a
    /// two-core machine: one rendering, the others waiting on the static),
    /// which starves the in-process servers of other suites meanwhile.
    static func named(_ name: String) async throws -> RenderedOverlay {
        guard let render = try await Self.renders.value[name] else { throw TestServerError("no overlay named \(name)") }
        return try render.get()
    }

    private static let renders = Task {
        try await offloaded {
            Dictionary(uniqueKeysWithValues: ["dev", "prod"].map { name in (name, Result { try RenderedOverlay(name) }) })
        }
    }

    init(_ name: String) throws {
        let output = NSTemporaryDirectory() + "kustomize-\(name)-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let kubectl = ProcessInfo.processInfo.environment["KUBECTL"] ?? "kubectl"
        let directory = Self.repositoryRoot.appendingPathComponent("deploy/kubernetes/overlays/\(name)").path
        try runCommand([kubectl, "kustomize", directory, "--output", output])
        self.name = name
        self.text = try String(contentsOfFile: output, encoding: .utf8)
        var documents = try Yams.compose_all(yaml: self.text)
        var objects: [Node] = []
        while let document = documents.next() { objects.append(document) }
        if let error = documents.error { throw error }
        self.objects = objects
    }

    func objects(_ kind: String) -> [Node] {
        self.objects.filter { $0["kind"]?.string == kind }
    }

    func object(_ kind: String, _ name: String) -> Node? {
        self.objects(kind).first { $0["metadata"]?["name"]?.string == name }
    }

    /// Deployments and StatefulSets.
    var workloads: [Node] { self.objects("Deployment") + self.objects("StatefulSet") }

    /// The pod template's spec of a workload.
    static func podSpec(_ workload: Node) -> Node? { workload["spec"]?["template"]?["spec"] }

    static func containers(_ workload: Node) -> [Node] { podSpec(workload)?["containers"]?.array() ?? [] }

    /// The named workload's first container (every workload here has one).
    func container(_ kind: String, _ name: String) -> Node? {
        self.object(kind, name).flatMap { Self.containers($0).first }
    }

    /// The container's environment as given by literal values (`valueFrom` entries are left out).
    static func environment(_ container: Node) -> [String: String] {
        var environment: [String: String] = [:]
        for entry in container["env"]?.array() ?? [] {
            if let name = entry["name"]?.string, let value = entry["value"]?.string { environment[name] = value }
        }
        return environment
    }

    /// The decoded values of every Secret in the overlay, without the final
    /// newline (which the services drop when they read a `*_FILE`).
    var secretValues: [String] {
        self.objects("Secret").flatMap { secret -> [String] in
            guard case .mapping(let data)? = secret["data"] else { return [] }
            return data.map(\.value).compactMap { $0.string.flatMap(Self.decode) }
        }
    }

    /// A Secret's base64 value as text, without a final newline.
    static func decode(_ base64: String) -> String? {
        Data(base64Encoded: base64).flatMap { String(data: $0, encoding: .utf8) }.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }
    }
}
