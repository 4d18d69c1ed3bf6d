/// A start-up configuration error: one line naming the setting, never its secret value.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let setting: String
    public let problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "configuration error: \(self.setting) \(self.problem)" }
}
