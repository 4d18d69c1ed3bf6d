#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line on stderr:
/// `timestamp` (ISO 8601, UTC, milliseconds), `level`, `service` (the
/// logger's label), `message`, `request_id` when the logger carries one (see
/// ``RequestIDMiddleware``) and `metadata` (every other key, nested values kept).
///
/// Each line goes out in one `write(2)` under a lock, so lines from
/// concurrent tasks never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: Int32

    /// A handler writing to file descriptor `output` (stderr by default).
    public init(label: String, output: Int32 = FileOutput.standardError) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var metadata = self.metadata
        if let provided = self.metadataProvider?.get() { metadata.merge(provided) { $1 } }
        if let extra = event.metadata { metadata.merge(extra) { $1 } }
        let requestID = metadata.removeValue(forKey: "request_id")
        var line = "{"
        Self.appendField("timestamp", .string(HealthTime.string(Date())), to: &line, first: true)
        Self.appendField("level", .string(event.level.rawValue), to: &line)
        Self.appendField("service", .string(self.label), to: &line)
        Self.appendField("message", .string(event.message.description), to: &line)
        if let requestID { Self.appendField("request_id", requestID, to: &line) }
        Self.appendField("metadata", .dictionary(metadata), to: &line)
        line += "}\n"
        Self.writeLock.withLock { _ in FileOutput.writeAll(line, to: self.output) }
    }

    private static let writeLock = Mutex(())

    private static func appendField(_ key: String, _ value: Logger.MetadataValue, to line: inout String, first: Bool = false) {
        if !first { line += "," }
        self.appendString(key, to: &line)
        line += ":"
        self.appendValue(value, to: &line)
    }

    private static func appendValue(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text):
            self.appendString(text, to: &line)
        case .stringConvertible(let convertible):
            self.appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                self.appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let entries):
            line += "{"
            for (index, key) in entries.keys.sorted().enumerated() {
                self.appendField(key, entries[key]!, to: &line, first: index == 0)
            }
            line += "}"
        }
    }

    /// `text` as a JSON string (RFC 8259: quote, backslash and control characters escaped).
    private static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20: line += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}
