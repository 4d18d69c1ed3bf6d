import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience-demo timings ...`: the health timings scripts/bench takes
/// (section 5, detection and recovery; section 6, start-up), each printed as
/// milliseconds (one decimal) on one line, for the shell to `read`.
///
///     timings pass URL...
///     timings detect API_URL GATEWAY_URL TIMEOUT_S -- STOP_COMMAND...
///     timings recover API_URL GATEWAY_URL TIMEOUT_S "READY_COMMAND" -- START_COMMAND...
///     timings startup URL TIMEOUT_S -- BINARY
///
/// - `pass`: exits 0 when every URL answers 200 with `"status": "pass"`.
/// - `detect`: runs STOP_COMMAND, then polls every 20 ms until data-api's
///   `/health/ready` and the gateway's `/health` answer 503; prints both
///   times (`API_MS GATEWAY_MS`), counted from the command's return.
/// - `recover`: starts START_COMMAND (which may keep running, as
///   `supervisorctl start` waits out its startsecs), polls READY_COMMAND
///   (`pg_isready`; its words split on spaces) every 20 ms to find when the
///   dependency accepts connections, then both `/health` until they pass;
///   prints `API_MS GATEWAY_MS`, counted from that moment.
/// - `startup`: starts BINARY (the environment is ours), polls URL every
///   10 ms until 200, prints `READY_MS`, then stops it (SIGTERM; SIGKILL
///   after 10 s).
enum HealthTimings {
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func main(_ arguments: [String]) async -> Int32 {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let status = await Self.run(arguments, client: client)
        try? await client.shutdown()
        return status
    }

    private static func run(_ arguments: [String], client: HTTPClient) async -> Int32 {
        do {
            switch arguments.first {
            case "pass":
                for url in arguments.dropFirst() where !(await Self.passes(client, url)) { return 1 }
                return 0
            case "detect":
                let ((api, gateway, timeout), command) = try Self.urlsAndCommand(arguments, fixed: 3)
                try await Self.runToEnd(command)
                let times = try await Self.poll(
                    ["api": { await Self.status(client, api + "/health/ready") == 503 }, "gateway": { await Self.status(client, gateway + "/health") == 503 }],
                    every: .milliseconds(20), timeout: timeout, from: .now
                )
                print(Self.line(times["api"], times["gateway"]))
            case "recover":
                let ((api, gateway, timeout), command) = try Self.urlsAndCommand(arguments, fixed: 4)
                let ready = arguments[4].split(separator: " ").map(String.init)
                let started = ContinuousClock.now
                let starter = try ChildProcess(command)
                let accepted = try await Self.poll(
                    ["accept": { (try? await Self.runToEnd(ready, quiet: true)) != nil }], every: .milliseconds(20), timeout: timeout, from: started
                )
                let acceptedAt = started + .milliseconds(accepted["accept"] ?? 0)
                let times = try await Self.poll(
                    ["api": { await Self.passes(client, api + "/health") }, "gateway": { await Self.passes(client, gateway + "/health") }],
                    every: .milliseconds(20), timeout: timeout, from: acceptedAt
                )
                let status = try await starter.exit()
                guard status == 0 else { throw UsageError(description: "\(command.joined(separator: " ")) failed (exit \(status))") }
                print(Self.line(times["api"], times["gateway"]))
            case "startup":
                guard arguments.count == 5, arguments[3] == "--", let timeout = Double(arguments[2]) else {
                    throw UsageError(description: "usage: timings startup URL TIMEOUT_S -- BINARY")
                }
                let started = ContinuousClock.now
                let process = try ChildProcess([arguments[4]])
                defer { Self.stop(process) }
                let times = try await Self.poll(
                    [
                        "ready": {
                            if let status = process.exitStatus() {
                                throw UsageError(description: "\(arguments[4]) exited with status \(status) before it was ready")
                            }
                            return await Self.status(client, arguments[1]) == 200
                        }
                    ], every: .milliseconds(10), timeout: .seconds(timeout), from: started
                )
                print(Self.line(times["ready"]))
            default:
                throw UsageError(description: "usage: timings pass|detect|recover|startup ... (see HealthTimings.swift)")
            }
            return 0
        } catch {
            FileOutput.writeAll("resilience-demo timings: \(error)\n")
            return 1
        }
    }

    /// `API_URL GATEWAY_URL TIMEOUT_S [READY_COMMAND] -- COMMAND...` after the subcommand.
    private static func urlsAndCommand(_ arguments: [String], fixed: Int) throws -> ((String, String, Duration), [String]) {
        guard arguments.count > fixed + 2, arguments[fixed + 1] == "--", let seconds = Double(arguments[3]) else {
            throw UsageError(description: "usage: timings \(arguments.first ?? "") API_URL GATEWAY_URL TIMEOUT_S\(fixed == 4 ? " READY_COMMAND" : "") -- COMMAND...")
        }
        return ((arguments[1], arguments[2], .seconds(seconds)), Array(arguments[(fixed + 2)...]))
    }

    /// Polls each condition every `interval` until each has held once;
    /// returns each one's time in ms after `from`.
    private static func poll(
        _ conditions: [String: () async throws -> Bool], every interval: Duration, timeout: Duration, from: ContinuousClock.Instant
    ) async throws -> [String: Double] {
        var found: [String: Double] = [:]
        let deadline = from + timeout
        var tick = ContinuousClock.now
        while found.count < conditions.count {
            for (name, condition) in conditions where found[name] == nil {
                if try await condition() { found[name] = ((ContinuousClock.now - from).milliseconds * 10).rounded() / 10 }
            }
            guard ContinuousClock.now < deadline || found.count == conditions.count else {
                let missing = conditions.keys.filter { found[$0] == nil }.sorted().joined(separator: ", ")
                throw UsageError(description: "timed out after \(timeout) waiting for: \(missing)")
            }
            tick += interval
            if tick > .now { try await Task.sleep(until: tick) }
        }
        return found
    }

    private static func status(_ client: HTTPClient, _ url: String) async -> Int? {
        await Exchange.perform(client, .GET, url, timeoutMs: 1000).status
    }

    /// 200 with a top-level `"status": "pass"` (the services' health body).
    private static func passes(_ client: HTTPClient, _ url: String) async -> Bool {
        let exchange = await Exchange.perform(client, .GET, url, timeoutMs: 1000)
        return exchange.status == 200 && (try? JSONDecoder().decode(HealthReport.self, from: exchange.body))?.status == .pass
    }

    /// Runs `command` to its end; throws unless it exits 0.
    private static func runToEnd(_ command: [String], quiet: Bool = false) async throws {
        let status = try await ChildProcess(command).exit()
        guard status == 0 else {
            throw UsageError(description: quiet ? "not yet" : "\(command.joined(separator: " ")) failed (exit \(status))")
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited within 10 s.
    private static func stop(_ process: ChildProcess) {
        process.send(SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.exitStatus() == nil {
            guard ContinuousClock.now < deadline else {
                process.send(SIGKILL)
                _ = try? process.wait()
                return
            }
            DetachedThread.sleep(for: .milliseconds(20))
        }
    }

    private static func line(_ values: Double?...) -> String {
        values.map { $0.map { String($0) } ?? "?" }.joined(separator: " ")
    }
}
