import Foundation
import Synchronization

/// Starts a program (looked up in `PATH`) with stdin from /dev/null,
/// stdout and stderr appended to `outputPath`, `descriptors` as its
/// descriptors 3, 4, … and no other descriptor of this process; returns its pid.
///
/// posix_spawn rather than Foundation's `Process`, whose exit detection can
/// miss children when called from Swift concurrency threads.
///
/// Every descriptor from 3 up is closed in the child: SwiftNIO opens its
/// sockets without `CLOEXEC`, so a child would otherwise keep a copy of every
/// socket the test process had open when it started (a connection a server
/// under test closes sends no FIN while postgres or redis-server still holds
/// it; a stopped server's listening socket stays bound and accepts).
public func spawnProcess(
    _ arguments: [String], environment: [String: String] = [:], outputPath: String = "/dev/null", descriptors: [Int32] = []
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Each passed descriptor must be above the ones it is copied to, or a copy would overwrite it.
    let first = Int32(3 + descriptors.count)
    guard descriptors.allSatisfy({ $0 >= first }) else { throw TestServerError("descriptors to pass must be \(first) or above") }
    for (index, descriptor) in descriptors.enumerated() {
        posix_spawn_file_actions_adddup2(&actions, descriptor, Int32(3 + index))
    }
    guard let addCloseFrom = addCloseFrom, addCloseFrom(&actions, first) == 0 else {
        throw TestServerError("posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or later is needed)")
    }
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
    var pid: pid_t = 0
    let status = withCStrings(arguments) { argv in
        withCStrings(env) { envp in
            posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        }
    }
    guard status == 0 else { throw TestServerError("could not start \(arguments[0]) (error \(status)): run scripts/test, which installs it") }
    return pid
}

/// The path of this package's executable `product` (`data-api`, `gateway`):
/// the environment variable `variable` when set (`DATA_API_BIN`, `GATEWAY_BIN`),
/// otherwise `product` in the bin path of the build that made these tests
/// (where `swift build --build-tests` puts it), so a plain `swift test` finds it.
public func builtBinary(_ product: String, variable: String) throws -> String {
    if let path = ProcessInfo.processInfo.environment[variable] {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestServerError("\(variable)=\(path) is not an executable file: build it (swift build --build-tests) or unset \(variable)")
        }
        return path
    }
    let path = testBinPath.appendingPathComponent(product).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestServerError("no \(product) binary at \(path): build it first (swift build --build-tests), or set \(variable)")
    }
    return path
}

/// The directory of the running test binary: the bin path of the build that made it.
private var testBinPath: URL {
    let testBinary = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    return testBinary.resolvingSymlinksInPath().deletingLastPathComponent()
}

/// Waits for `pid` to exit; returns its exit status (128+signal when killed).
@discardableResult
public func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
}

/// Runs a program to completion and returns its output; throws with the
/// output when it exits non-zero.
@discardableResult
public func runCommand(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let outputPath = NSTemporaryDirectory() + "cmd-\(UUID().uuidString).out"
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let status = waitForExit(try spawnProcess(arguments, environment: environment, outputPath: outputPath))
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    guard status == 0 else {
        throw TestServerError("command failed (\(status)): \(arguments.joined(separator: " "))\n\(text)")
    }
    return text
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's
/// Glibc module does not import (it is declared only under `_GNU_SOURCE`).
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) } + [nil]
    defer { copies.forEach { free($0) } }
    return body(copies)
}

/// A test fixture failure, with what to do about it.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that was free a moment ago, chosen below the
/// kernel's ephemeral range (32768+): servers that tests stop and restart on
/// the same port must not meet a client socket there (or a client's TCP
/// self-connect while it retries the dead port).
///
/// No port is handed out twice in one test process: suites run in parallel,
/// and a server a test has stopped (to simulate an outage) must find its
/// port still free when the test starts it again.
public func freePort() throws -> Int {
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000)
        if canBind(port), handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw TestServerError("no free port found in 20000-32000")
}

private let handedOutPorts = Mutex<Set<Int>>([])

private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
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

/// Runs blocking work (a child process, `waitpid`) on a thread of its own, so
/// it never holds one of Swift concurrency's few cooperative threads, which
/// the servers under test need.
///
/// Not a Dispatch queue: on Linux, Swift's cooperative tasks run on the
/// default root queue's workers (`root.default-qos`, one per core), and
/// `DispatchQueue.global()` and private concurrent queues hand their items to
/// those same workers. A blocking item there stalled every task of the test
/// process until libdispatch added a worker (measured: gdb stacks showed
/// `waitpid` from `offloaded` on those workers while a 50 ms sleep woke up to
/// 5.4 s late, and in-process upstreams missed the gateway's per-try timeout).
public func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
