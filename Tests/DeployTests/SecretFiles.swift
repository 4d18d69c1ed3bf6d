import Foundation
import Testing
import Yams

/// The Secrets an overlay's pods mount, written to a temporary folder, so a
/// service's configuration can read them through its `*_FILE` variables as
/// it would in the pod. An overlay that ships no Secret (prod: they are
/// created out of band) gets a placeholder value for each.
struct SecretFiles {
    let directory: URL
    let rendered: RenderedOverlay

    init(_ rendered: RenderedOverlay) throws {
        self.rendered = rendered
        self.directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: self.directory) }

    /// The value of the Secret `name` (kustomize appends a hash to generated
    /// names): its first key's, or the placeholder when the overlay has none.
    func value(_ name: String) -> String {
        let secret = self.rendered.objects("Secret").first {
            let full = $0["metadata"]?["name"]?.string ?? ""
            return full == name || full.hasPrefix(name + "-")
        }
        guard case .mapping(let data)? = secret?["data"], let first = data.first?.value.string else { return Self.placeholder(name) }
        return RenderedOverlay.decode(first) ?? ""
    }

    /// The literal environment of the workload's first container, each
    /// `*_FILE` variable pointing at a file that holds what the pod would find
    /// at that path in its mounted Secret.
    func environment(_ kind: String, _ name: String) throws -> [String: String] {
        let workload = try #require(self.rendered.object(kind, name))
        let container = try #require(RenderedOverlay.containers(workload).first)
        let volumes = RenderedOverlay.podSpec(workload)?["volumes"]?.array() ?? []
        var environment = RenderedOverlay.environment(container)
        for (variable, path) in environment where variable.hasSuffix("_FILE") {
            let mount = try #require((container["volumeMounts"]?.array() ?? []).first { path.hasPrefix(($0["mountPath"]?.string ?? "") + "/") })
            let volume = volumes.first { $0["name"] == mount["name"] }
            let secretName = try #require(volume?["secret"]?["secretName"]?.string, "\(name): \(variable) is not in a Secret volume")
            let key = String(path.dropFirst((mount["mountPath"]?.string ?? "").count + 1))
            let file = self.directory.appendingPathComponent("\(secretName)-\(key)")
            try Data(self.value(secretName, key: key).utf8).write(to: file)
            environment[variable] = file.path
        }
        return environment
    }

    /// The file's content as the pod sees it (a final newline included).
    private func value(_ secretName: String, key: String) -> String {
        guard let secret = self.rendered.object("Secret", secretName) else { return Self.placeholder(secretName) }
        return secret["data"]?[key]?.string.flatMap { Data(base64Encoded: $0) }.flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }

    private static func placeholder(_ name: String) -> String { "placeholder-for-\(name)" }
}
