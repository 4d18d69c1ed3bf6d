import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import Synchronization

/// Records what the gateway's status page was shown during a run: every
/// server-sent event of `/health/events` (history, status, transition), with
/// its offset from the run's start, for the incident report. Reconnects
/// (every 500 ms) while the gateway does not answer, until `stop` is set.
final class StatusRecorder: Sendable {
    /// One event as the gateway sent it: its name and its data (JSON text).
    struct Event: Codable, Sendable, Equatable {
        var atMs: Int
        var event: String
        var data: String
    }

    let client: HTTPClient
    let gatewayURL: String
    let timeline: Timeline
    private let events = Mutex<[Event]>([])

    init(client: HTTPClient, gatewayURL: String, timeline: Timeline) {
        self.client = client
        self.gatewayURL = gatewayURL
        self.timeline = timeline
    }

    var all: [Event] { self.events.withLock { $0 } }

    /// Records until `stop` is set (noticed at the next event: one a second at least).
    func run(until stop: FirstFlag) async {
        while !stop.isSet {
            var parser = Parser()
            do {
                let response = try await self.client.execute(HTTPClientRequest(url: self.gatewayURL + "/health/events"), timeout: .seconds(2))
                if response.status == .ok {
                    for try await chunk in response.body {
                        for event in parser.feed(String(buffer: chunk)) {
                            self.events.withLock { $0.append(Event(atMs: self.timeline.offset(), event: event.name, data: event.data)) }
                        }
                        if stop.isSet { break }
                    }
                }
            } catch {}
            if !stop.isSet { try? await Task.sleep(for: .milliseconds(500)) }
        }
    }

    /// Splits a server-sent event stream into events (`event:` and `data:` lines; others ignored).
    struct Parser {
        private var pending = ""

        mutating func feed(_ text: String) -> [(name: String, data: String)] {
            self.pending += text
            var events: [(String, String)] = []
            while let end = self.pending.firstRange(of: "\n\n") {
                let block = self.pending[..<end.lowerBound]
                self.pending.removeSubrange(..<end.upperBound)
                var name = "message"
                var data: [Substring] = []
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data.append(line.dropFirst(6)) }
                }
                if !data.isEmpty { events.append((name, data.joined(separator: "\n"))) }
            }
            return events
        }
    }
}
