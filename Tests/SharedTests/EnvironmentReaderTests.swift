import Foundation
import Shared
import Testing

@Suite struct EnvironmentReaderTests {
    @Test func defaultsWhenUnsetOrEmpty() throws {
        let reader = EnvironmentReader(environment: ["EMPTY": ""])
        #expect(try reader.int("MISSING", default: 7, range: 1...10) == 7)
        #expect(try reader.int("EMPTY", default: 7, range: 1...10) == 7)
        #expect(reader.string("EMPTY", default: "d") == "d")
    }

    @Test func rejectsOutOfRangeWithOneLineNamingTheSetting() {
        let reader = EnvironmentReader(environment: ["HTTP_PORT": "99999"])
        #expect(throws: ConfigError(setting: "HTTP_PORT", problem: "must be an integer from 0 to 65535 (got \"99999\")")) {
            try HTTPServerSettings(reader, defaultPort: 8081)
        }
        let error = ConfigError(setting: "HTTP_PORT", problem: "must be an integer")
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix("configuration error: HTTP_PORT"))
    }

    @Test func rejectsMalformedNumbersAndBooleans() {
        let reader = EnvironmentReader(environment: ["RATE": "abc", "FLAG": "maybe", "N": "1.5"])
        #expect(throws: ConfigError.self) { try reader.double("RATE", default: 0, range: 0...1) }
        #expect(throws: ConfigError.self) { try reader.bool("FLAG", default: false) }
        #expect(throws: ConfigError.self) { try reader.int("N", default: 0, range: 0...10) }
    }

    @Test func parsesMilliseconds() throws {
        let reader = EnvironmentReader(environment: ["HEALTH_INTERVAL_MS": "150"])
        let health = try HealthMonitorConfiguration(reader)
        #expect(health.interval == .milliseconds(150))
        #expect(health.failureThreshold == HealthMonitorConfiguration().failureThreshold)
    }

    @Test func readsSecretsFromFilesWithoutTheTrailingNewline() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try Data("s3cret-value\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try EnvironmentReader(environment: ["DB_PASSWORD_FILE": file.path]).secret("DB_PASSWORD") == "s3cret-value")
        #expect(try EnvironmentReader(environment: ["DB_PASSWORD": "direct"]).secret("DB_PASSWORD") == "direct")
        #expect(try EnvironmentReader(environment: [:]).secret("DB_PASSWORD") == nil)
    }

    @Test func secretErrorsNameTheSettingNotTheValue() throws {
        let both = EnvironmentReader(environment: ["DB_PASSWORD": "hunter2-secret", "DB_PASSWORD_FILE": "/x"])
        do {
            _ = try both.secret("DB_PASSWORD")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.setting == "DB_PASSWORD")
            #expect(!error.description.contains("hunter2-secret"))
        }
        #expect(throws: ConfigError.self) { try EnvironmentReader(environment: ["DB_PASSWORD_FILE": "/nonexistent/file"]).secret("DB_PASSWORD") }
    }

    @Test func choices() throws {
        #expect(try EnvironmentReader(environment: ["LOG_LEVEL": "DEBUG"]).logLevel() == .debug)
        #expect(throws: ConfigError.self) { try EnvironmentReader(environment: ["LOG_LEVEL": "loud"]).logLevel() }
        #expect(try EnvironmentReader(environment: [:]).logFormat() == .logfmt)
        #expect(try EnvironmentReader(environment: ["LOG_FORMAT": "JSON"]).logFormat() == .json)
        #expect(throws: ConfigError(setting: "LOG_FORMAT", problem: "must be one of logfmt, json (got \"xml\")")) {
            try EnvironmentReader(environment: ["LOG_FORMAT": "xml"]).logFormat()
        }
    }
}
