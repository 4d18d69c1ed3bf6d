import Foundation

/// A real headless Chromium (Debian's `chromium`, or `CHROMIUM_BIN`) with one
/// page open, driven through the DevTools protocol over
/// `--remote-debugging-pipe`: the browser reads commands on its descriptor 3
/// and writes answers on its descriptor 4, each message JSON ending in a NUL.
///
/// Blocking calls run off the cooperative pool (``offloaded(_:)``); each
/// waits at most `timeout` for its answer. A missing browser is an error:
/// `scripts/test` installs it. The browser is killed when released.
public final class ChromiumPage: @unchecked Sendable {
    private let pid: pid_t
    private let commands: FileHandle
    private let answers: Int32
    private let profile: String
    private let logPath: String
    private let timeout: Duration
    private var session = ""
    private var lastID = 0
    private var pending: [UInt8] = []
    private let lock = NSLock()

    /// Starts the browser and opens `url` in a page of `width` × `height` CSS pixels.
    public init(url: String, width: Int = 1280, height: Int = 900, timeout: Duration = .seconds(30)) async throws {
        let binary = ProcessInfo.processInfo.environment["CHROMIUM_BIN"] ?? "chromium"
        guard Self.findExecutable(binary) != nil else {
            throw TestServerError("\(binary) not found: run scripts/test, whose first stage installs Debian's chromium (or set CHROMIUM_BIN)")
        }
        // A browser that died must fail the test, not kill it with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        self.timeout = timeout
        self.profile = NSTemporaryDirectory() + "chromium-\(UUID().uuidString)"
        self.logPath = self.profile + ".log"
        try FileManager.default.createDirectory(atPath: self.profile, withIntermediateDirectories: true)
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw TestServerError("pipe failed: errno \(errno)") }
        // The browser's ends as its descriptors 3 and 4 (spawnProcess needs them above 4).
        let theirs = [fcntl(toBrowser[0], F_DUPFD_CLOEXEC, 10), fcntl(fromBrowser[1], F_DUPFD_CLOEXEC, 10)]
        close(toBrowser[0])
        close(fromBrowser[1])
        defer { theirs.forEach { close($0) } }
        let arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars", "--remote-debugging-pipe",
            "--user-data-dir=\(self.profile)", "--window-size=\(width),\(height)", "about:blank",
        ]
        do {
            self.pid = try spawnProcess(arguments, outputPath: self.logPath, descriptors: theirs)
        } catch {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw error
        }
        self.commands = FileHandle(fileDescriptor: toBrowser[1], closeOnDealloc: true)
        self.answers = fromBrowser[0]
        let target = try await self.call("Target.createTarget", ["url": url], inPage: false)
        guard let targetID = target["targetId"] as? String else { throw TestServerError("Chromium created no page") }
        let attached = try await self.call("Target.attachToTarget", ["targetId": targetID, "flatten": true], inPage: false)
        guard let session = attached["sessionId"] as? String else { throw TestServerError("Chromium did not attach to its page") }
        self.session = session
        try await self.setViewport(width: width, height: height, mobile: false)
    }

    deinit {
        let (pid, answers, profile, logPath) = (self.pid, self.answers, self.profile, self.logPath)
        kill(pid, SIGKILL)
        BackgroundTeardown.run {
            waitForExit(pid)
            close(answers)
            try? FileManager.default.removeItem(atPath: profile)
            try? FileManager.default.removeItem(atPath: logPath)
        }
    }

    /// The value of a JavaScript expression in the page (a promise is awaited), as JSON would give it.
    public func evaluate(_ expression: String) async throws -> Any? {
        let result = try await self.call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let text = ((exception["exception"] as? [String: Any])?["description"] as? String) ?? "\(exception["text"] ?? "exception")"
            throw TestServerError("JavaScript error in the page: \(text)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Sets the page's size in CSS pixels; `mobile` emulates a phone (its viewport meta tag honoured).
    public func setViewport(width: Int, height: Int, mobile: Bool) async throws {
        _ = try await self.call(
            "Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile]
        )
    }

    /// Writes a PNG of the whole page (beyond the viewport too) to `path`.
    public func screenshot(to path: String) async throws {
        let metrics = try await self.call("Page.getLayoutMetrics", [:])
        let size = (metrics["cssContentSize"] as? [String: Any]) ?? [:]
        let width = (size["width"] as? Double) ?? 1280
        let height = (size["height"] as? Double) ?? 900
        let shot = try await self.call(
            "Page.captureScreenshot",
            ["format": "png", "captureBeyondViewport": true, "clip": ["x": 0, "y": 0, "width": width, "height": height, "scale": 1]]
        )
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw TestServerError("Chromium returned no screenshot")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Sends one command (to the page's session unless `inPage` is false) and returns its result.
    private func call(_ method: String, _ parameters: [String: Any], inPage: Bool = true) async throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "params": parameters]
        if inPage { message["sessionId"] = self.session }
        let answer = try await self.exchange(message)
        let object = (try JSONSerialization.jsonObject(with: answer) as? [String: Any]) ?? [:]
        if let error = object["error"] as? [String: Any] {
            throw TestServerError("Chromium refused \(method): \(error["message"] ?? error)")
        }
        return (object["result"] as? [String: Any]) ?? [:]
    }

    /// Sends `message` with the next id, off the cooperative pool; returns the answer with that id.
    private func exchange(_ message: [String: Any]) async throws -> Data {
        let id = self.lock.withLock {
            self.lastID += 1
            return self.lastID
        }
        var message = message
        message["id"] = id
        let method = "\(message["method"] ?? "")"
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        return try await offloaded { [bytes] in
            self.lock.lock()
            defer { self.lock.unlock() }
            try self.commands.write(contentsOf: bytes)
            let deadline = ContinuousClock.now + self.timeout
            while true {
                // Events, and answers to nothing we wait for, are skipped.
                let answer = try self.readMessage(deadline: deadline, method: method)
                if (try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["id"] as? Int == id { return answer }
            }
        }
    }

    private func readMessage(deadline: ContinuousClock.Instant, method: String) throws -> Data {
        while true {
            if let end = self.pending.firstIndex(of: 0) {
                let message = Data(self.pending[..<end])
                self.pending.removeSubrange(...end)
                return message
            }
            let left = deadline - .now
            guard left > .zero else { throw TestServerError("Chromium did not answer \(method) within \(self.timeout)\(self.logTail)") }
            var descriptor = pollfd(fd: self.answers, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = read(self.answers, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw TestServerError("Chromium closed its DevTools pipe (it exited?)\(self.logTail)") }
            self.pending.append(contentsOf: chunk[..<count])
        }
    }

    private var logTail: String {
        let log = (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
        return "; its last output:\n" + log.split(separator: "\n").suffix(10).joined(separator: "\n")
    }

    private static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
