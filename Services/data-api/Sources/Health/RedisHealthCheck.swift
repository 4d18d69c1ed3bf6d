import Shared

/// `redis:responseTime` (non-critical): the time of `PING`.
struct RedisHealthCheck: HealthCheck {
    let descriptor = CheckDescriptor(component: "redis", measurement: "responseTime", componentType: "datastore", criticality: .nonCritical)
    let redis: RedisClient

    func run() async throws -> HealthObservation {
        let started = ContinuousClock.now
        try await self.redis.ping()
        return HealthObservation(observedValue: (ContinuousClock.now - started).roundedMilliseconds, observedUnit: "ms")
    }
}
