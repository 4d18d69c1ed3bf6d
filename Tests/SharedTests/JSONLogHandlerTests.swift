import Foundation
import Logging
import Shared
import Testing

@Suite struct JSONLogHandlerTests {
    /// Logs through a handler writing into a pipe; returns the lines written.
    static func lines(_ body: (inout Logger) -> Void) throws -> [String] {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        var logger = Logger(label: "svc") { JSONLogHandler(label: $0, output: fds[1]) }
        logger.logLevel = .debug
        body(&logger)
        close(fds[1])
        let data = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test func oneObjectPerLineWithTheDocumentedFields() throws {
        let lines = try Self.lines { logger in
            logger[metadataKey: "request_id"] = "req-1"
            logger.warning("a \"quoted\"\nmessage\u{1}", metadata: ["cause": "timeout", "nested": ["a": ["1", "2"]]])
            logger.debug("second")
            logger.trace("not written: below the level")
        }
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(Set(first.keys) == ["timestamp", "level", "service", "message", "request_id", "metadata"])
        #expect(first["level"] as? String == "warning")
        #expect(first["service"] as? String == "svc")
        #expect(first["message"] as? String == "a \"quoted\"\nmessage\u{1}")
        #expect(first["request_id"] as? String == "req-1")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["cause"] as? String == "timeout")
        #expect((metadata["nested"] as? [String: Any])?["a"] as? [String] == ["1", "2"])
        #expect(metadata["request_id"] == nil, "the request id is a field of its own")
        let timestamp = try #require(first["timestamp"] as? String)
        #expect(try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(timestamp) <= Date())
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["message"] as? String == "second")
    }

    @Test func controlCharactersAreEscapedWithFourLowercaseHexDigits() throws {
        let lines = try Self.lines { $0.info("a\u{1}b\u{1F}c\u{B}\td") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains(#""message":"a\u0001b\u001fc\u000b\td""#) == true)
    }
}
