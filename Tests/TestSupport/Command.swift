import Foundation

/// Runs a program to completion and returns its standard output; throws with
/// its output when it exits non-zero.
@discardableResult
public func runCommand(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    // A file, not a pipe: a daemon the command starts (pg_ctl start) inherits
    // the descriptor, and a pipe would never reach end-of-file.
    let outputURL = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cmd-\(UUID().uuidString).out")
    FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: outputURL) }
    let output = try FileHandle(forWritingTo: outputURL)
    defer { try? output.close() }
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
        throw TestServerError("command failed (\(process.terminationStatus)): \(arguments.joined(separator: " "))\n\(text)")
    }
    return text
}

/// A test fixture failure, with what to do about it.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestServerError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestServerError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
public func waitUntil(timeout: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestServerError("timed out waiting for \(what)")
}
