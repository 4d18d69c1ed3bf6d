import Testing

@testable import Gateway

@Suite struct LoadBalancerTests {
    typealias C = LoadBalancer.Candidate

    @Test func roundRobinOverAvailableEndpoints() {
        let all = [C(available: true, tried: false), C(available: true, tried: false), C(available: true, tried: false)]
        #expect(LoadBalancer.order(all, rotation: 0).map(\.index) == [0, 1, 2])
        #expect(LoadBalancer.order(all, rotation: 1).map(\.index) == [1, 2, 0])
        #expect(LoadBalancer.order(all, rotation: 5).first?.index == 2)
    }

    @Test func unavailableAndTriedComeLast() {
        let candidates = [C(available: false, tried: false), C(available: true, tried: true), C(available: true, tried: false)]
        let order = LoadBalancer.order(candidates, rotation: 0)
        #expect(order.map(\.index) == [2, 0, 1])
        #expect(order.map(\.mode) == [.normal, .panic, .repeatTry])
    }

    @Test func panicModeWhenNothingIsAvailable() {
        let candidates = [C(available: false, tried: false), C(available: false, tried: false)]
        #expect(LoadBalancer.order(candidates, rotation: 0).allSatisfy { $0.mode == .panic })
        #expect(LoadBalancer.order([], rotation: 3).isEmpty)
    }

    @Test func withoutPanicRoutingNoUnavailableEndpointIsTried() {
        let candidates = [C(available: false, tried: false), C(available: true, tried: true), C(available: true, tried: false)]
        let order = LoadBalancer.order(candidates, rotation: 0, panic: false)
        #expect(order.map(\.index) == [2, 1])
        #expect(order.map(\.mode) == [.normal, .repeatTry])
        #expect(LoadBalancer.order([C(available: false, tried: false)], rotation: 0, panic: false).isEmpty)
    }
}
