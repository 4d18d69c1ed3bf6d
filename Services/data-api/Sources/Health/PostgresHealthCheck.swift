import Shared

/// `postgres:responseTime` (critical): the time of `SELECT 1` on a pooled
/// connection. A stale pooled connection is retried once on a fresh one, so
/// after a server restart the pool heals within one check interval.
struct PostgresHealthCheck: HealthCheck {
    let descriptor = CheckDescriptor(component: "postgres", measurement: "responseTime", componentType: "datastore", criticality: .critical)
    let postgres: PostgresClient

    func run() async throws -> HealthObservation {
        let started = ContinuousClock.now
        try await self.postgres.withConnection(idempotent: true) { connection in
            _ = try connection.query("SELECT 1")
        }
        return HealthObservation(observedValue: (ContinuousClock.now - started).roundedMilliseconds, observedUnit: "ms")
    }
}

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

extension Duration {
    /// Milliseconds with three decimals, for `observedValue`.
    var roundedMilliseconds: Double { (self.milliseconds * 1000).rounded() / 1000 }
}
