/// Why ``HostResolver`` gave no address. Its description names no host, so
/// it is fit for health output, logs and metric labels.
public struct ResolveError: Error, SafeErrorDescription, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case timeout
        case notFound
        case failed
    }

    private let code: Code

    /// No answer before the deadline, and no earlier answer to fall back on.
    public static let timeout = ResolveError(code: .timeout)
    /// The name does not exist (an authoritative answer).
    public static let notFound = ResolveError(code: .notFound)
    /// The resolver failed (no server answered, or another `getaddrinfo` error).
    public static let failed = ResolveError(code: .failed)

    public var safeDescription: String {
        switch self.code {
        case .timeout: "dns timeout"
        case .notFound: "host not found"
        case .failed: "dns failure"
        }
    }

    public var description: String { "ResolveError: \(self.safeDescription)" }
}
