import Foundation
import Logging

/// The body of a service's `@main`: turns a configuration error into one line
/// on stderr and exit code 2, and any other start-up failure into exit code 1.
public enum ServiceMain {
    public static func run(_ body: () async throws -> Void) async -> Never {
        do {
            try await body()
            exit(0)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("fatal: \(error.safeDescription)\n".utf8))
            exit(1)
        }
    }
}
