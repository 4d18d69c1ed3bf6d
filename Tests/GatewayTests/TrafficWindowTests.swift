import Testing

@testable import Gateway

@Suite struct TrafficWindowTests {
    @Test func ratesErrorsAndP99OverTheLastMinute() throws {
        let start = ContinuousClock.now
        let window = TrafficWindow(now: start)
        #expect(window.summary(now: start).p99Milliseconds == nil)
        // 100 requests in the first second: 98 fast, 2 slow server errors.
        for index in 0..<100 {
            let slow = index >= 98
            window.record(status: slow ? 503 : 200, duration: slow ? .milliseconds(800) : .milliseconds(2), now: start)
        }
        let first = window.summary(now: start + .milliseconds(500))
        #expect(first.windowSeconds == 1)
        #expect(first.requests == 100)
        #expect(first.requestsPerSecond == 100)
        #expect(first.serverErrors == 2)
        #expect(first.errorRate == 0.02)
        // The 99th of 100 is one of the slow ones: its bucket's bound is within 20 % above 800 ms.
        let p99 = try #require(first.p99Milliseconds)
        #expect(p99 >= 800 && p99 <= 960)
        // Ten seconds later the rate is over ten seconds; 70 seconds later it has left the window.
        #expect(window.summary(now: start + .seconds(9)).requestsPerSecond == 10)
        let later = window.summary(now: start + .seconds(70))
        #expect(later.windowSeconds == 60)
        #expect(later.requests == 0)
        #expect(later.errorRate == 0)
        // 4xx is not a server error.
        window.record(status: 404, duration: .milliseconds(1), now: start + .seconds(70))
        #expect(window.summary(now: start + .seconds(70)).serverErrors == 0)
    }
}
