/// A command line the proxy cannot run with: one line naming the argument.
struct UsageError: Error, CustomStringConvertible, Equatable {
    private enum Code: Equatable {
        case unknownArgument(String)
        case missingValue(option: String)
        case badValue(option: String, value: String, expected: String)
        case duplicateRoute(String)
        case missingOption(String)
    }

    private let code: Code

    static func unknownArgument(_ argument: String) -> UsageError { UsageError(code: .unknownArgument(argument)) }
    static func missingValue(_ option: String) -> UsageError { UsageError(code: .missingValue(option: option)) }
    static func badValue(_ option: String, _ value: String, expected: String) -> UsageError {
        UsageError(code: .badValue(option: option, value: value, expected: expected))
    }
    static func duplicateRoute(_ name: String) -> UsageError { UsageError(code: .duplicateRoute(name)) }
    static func missingOption(_ option: String) -> UsageError { UsageError(code: .missingOption(option)) }

    var description: String {
        switch self.code {
        case .unknownArgument(let argument): "unknown argument: \(argument)"
        case .missingValue(let option): "\(option) needs a value"
        case .badValue(let option, let value, let expected): "\(option) \(value): expected \(expected)"
        case .duplicateRoute(let name): "--route \(name): the name is used twice"
        case .missingOption(let option): "\(option) is required"
        }
    }
}
