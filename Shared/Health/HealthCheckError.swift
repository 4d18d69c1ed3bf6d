/// Errors raised by the health engine itself.
public struct HealthCheckError: Error, SafeErrorDescription, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case timeout
        case notRunYet
    }

    private let code: Code

    /// The check did not answer within its timeout.
    public static let timeout = HealthCheckError(code: .timeout)
    /// The check has not completed a first run yet.
    public static let notRunYet = HealthCheckError(code: .notRunYet)

    public var safeDescription: String {
        switch self.code {
        case .timeout: "timeout"
        case .notRunYet: "not checked yet"
        }
    }

    public var description: String { self.safeDescription }
}
