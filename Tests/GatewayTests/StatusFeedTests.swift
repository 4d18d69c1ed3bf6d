import Foundation
import Logging
import Shared
import Testing

@testable import Gateway

@Suite struct StatusFeedTests {
    static func feed(maxViewers: Int) throws -> StatusFeed {
        let configuration = try GatewayConfiguration(EnvironmentReader(environment: ["UPSTREAM_URLS": "http://127.0.0.1:1"]))
        let logger = Logger(label: "status-feed-test")
        let monitor = HealthMonitor(serviceId: "gateway", checks: [], configuration: HealthMonitorConfiguration(interval: .seconds(5)), telemetry: Telemetry(), logger: logger)
        let health = GatewayHealth(endpoints: EndpointSet(configuration: configuration, logger: logger), monitor: monitor)
        return StatusFeed(health: health, traffic: TrafficWindow(), maxViewers: maxViewers, showAddresses: false)
    }

    @Test func viewerSlotsAreFreedByLeavingOrWhenAStreamNeverStarts() throws {
        let feed = try Self.feed(maxViewers: 2)
        let now = ContinuousClock.now
        let started = try #require(feed.join(now: now))
        let neverStarted = try #require(feed.join(now: now))
        #expect(feed.join(now: now) == nil, "over the cap")
        #expect(feed.start(started.id))

        // A stream whose head was never written is dropped after the limit; a started one is not.
        feed.publish(clock: now + StatusFeed.unstartedLimit + .seconds(1))
        #expect(!feed.start(neverStarted.id))
        let third = try #require(feed.join(now: now))
        #expect(feed.join(now: now) == nil)
        #expect(feed.start(third.id))

        feed.leave(started.id)
        feed.leave(started.id)
        #expect(feed.join(now: now) != nil, "leaving freed one slot, once")
        #expect(feed.join(now: now) == nil)
    }
}
