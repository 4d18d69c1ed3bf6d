import Shared

/// `postgres:responseTime` (critical): the time of `SELECT 1` on a pooled
/// connection, taken ahead of every waiting request
/// (``PostgresClient/withCheckConnection(_:)``), so that a pool busy with
/// slow requests reads as a slow database, not a failed one. A stale pooled
/// connection is retried once on a fresh one, so after a server restart the
/// pool heals within one check interval.
struct PostgresHealthCheck: HealthCheck {
    let descriptor = CheckDescriptor(component: "postgres", measurement: "responseTime", componentType: "datastore", criticality: .critical)
    let postgres: PostgresClient

    func run() async throws -> HealthObservation {
        let started = ContinuousClock.now
        try await self.postgres.withCheckConnection { connection in
            _ = try connection.query("SELECT 1")
        }
        return HealthObservation(observedValue: (ContinuousClock.now - started).roundedMilliseconds, observedUnit: "ms")
    }
}
