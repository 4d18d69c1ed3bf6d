#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads typed settings from environment variables (12-factor), with defaults,
/// ranges, and the Docker `*_FILE` convention for secrets. Each service's
/// configuration is read through one at start-up; a bad value throws ``ConfigError``.
public struct EnvironmentReader: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The value of `key`, `nil` when unset or empty.
    public func string(_ key: String) -> String? {
        guard let value = self.environment[key], !value.isEmpty else { return nil }
        return value
    }

    public func string(_ key: String, default defaultValue: String) -> String {
        self.string(key) ?? defaultValue
    }

    public func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = self.string(key) else { return defaultValue }
        guard let value = Int(raw.trimmingWhitespace()), range.contains(value) else {
            throw ConfigError(setting: key, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound) (got \"\(raw)\")")
        }
        return value
    }

    public func double(_ key: String, default defaultValue: Double, range: ClosedRange<Double>) throws -> Double {
        guard let raw = self.string(key) else { return defaultValue }
        guard let value = Double(raw.trimmingWhitespace()), value.isFinite, range.contains(value) else {
            throw ConfigError(setting: key, problem: "must be a number from \(range.lowerBound) to \(range.upperBound) (got \"\(raw)\")")
        }
        return value
    }

    /// A duration given in whole milliseconds.
    public func milliseconds(_ key: String, default defaultValue: Duration, range: ClosedRange<Int>) throws -> Duration {
        guard self.string(key) != nil else { return defaultValue }
        return .milliseconds(try self.int(key, default: 0, range: range))
    }

    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let raw = self.string(key) else { return defaultValue }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(setting: key, problem: "must be true or false (got \"\(raw)\")")
        }
    }

    public func choice<T: ConfigChoice>(_ key: String, default defaultValue: T) throws -> T {
        guard let raw = self.string(key) else { return defaultValue }
        guard let value = T(rawValue: raw.lowercased()) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(setting: key, problem: "must be one of \(allowed) (got \"\(raw)\")")
        }
        return value
    }

    /// A secret from `key`, or from the file named by `key_FILE` (trailing
    /// newline removed). Setting both is an error; so is an unreadable file.
    /// Error messages name the setting and the file, never the secret.
    public func secret(_ key: String) throws -> String? {
        let fileKey = key + "_FILE"
        switch (self.string(key), self.string(fileKey)) {
        case (.some, .some):
            throw ConfigError(setting: key, problem: "and \(fileKey) are both set; set only one")
        case (.some(let value), nil):
            return value
        case (nil, .some(let path)):
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(setting: fileKey, problem: "names a file that can't be read: \(path)")
            }
            let value = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
            guard !value.isEmpty else { throw ConfigError(setting: fileKey, problem: "names an empty file: \(path)") }
            return value
        case (nil, nil):
            return nil
        }
    }
}
