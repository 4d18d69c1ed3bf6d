import Foundation
import Shared
import Testing

@Suite struct FileOutputTests {
    @Test func writesTheWholeTextAsUTF8() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = "naïve → ok\n" + String(repeating: "x", count: 40_000)
        FileOutput.writeAll(text, to: fds[1])
        close(fds[1])
        let data = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        #expect(String(decoding: data, as: UTF8.self) == text)
    }
}
