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
