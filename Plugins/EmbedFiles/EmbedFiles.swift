import Foundation
import PackagePlugin

/// Builds files of the package into the targets that use this plugin, each
/// as `TYPE.embeddedBase64` (see Tools/embed-file), so a binary serves what
/// it was built with and nothing is read from disk at run time.
@main struct EmbedFiles: BuildToolPlugin {
    /// Per target: each file (relative to the package) and the type that gets it.
    static let embedded: [String: [(path: String, type: String)]] = [
        "Shared": [("docs/openapi.yaml", "OpenAPIDocument")],
        "Gateway": [("Services/gateway/StatusPage/status.html", "StatusPage")],
        // The incident report is the status page replaying a recording.
        "resilience-demo": [("Services/gateway/StatusPage/status.html", "StatusPageTemplate")],
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let files = Self.embedded[target.name] else {
            throw PluginError(description: "EmbedFiles has no files listed for target \(target.name)")
        }
        let tool = try context.tool(named: "embed-file").url
        return files.map { file in
            let input = context.package.directoryURL.appending(path: file.path)
            let output = context.pluginWorkDirectoryURL.appending(path: "\(file.type)+embedded.swift")
            return .buildCommand(
                displayName: "Embedding \(file.path)",
                executable: tool,
                arguments: [input.path(), output.path(), file.type],
                inputFiles: [input],
                outputFiles: [output]
            )
        }
    }

    struct PluginError: Error, CustomStringConvertible {
        let description: String
    }
}
