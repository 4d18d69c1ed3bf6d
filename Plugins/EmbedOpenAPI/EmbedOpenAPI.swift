import Foundation
import PackagePlugin

/// Builds docs/openapi.yaml into the target that uses this plugin, as
/// `OpenAPIDocument.embeddedBase64`, so each binary serves the document it
/// was built with and nothing is read from disk at run time.
@main struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "docs/openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument+embedded.swift")
        return [
            .buildCommand(
                displayName: "Embedding docs/openapi.yaml",
                executable: try context.tool(named: "embed-file").url,
                arguments: [input.path(), output.path(), "OpenAPIDocument"],
                inputFiles: [input],
                outputFiles: [output]
            )
        ]
    }
}
