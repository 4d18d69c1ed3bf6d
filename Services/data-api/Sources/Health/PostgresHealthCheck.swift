import Shared

/// `postgres:responseTime` (critical): the time of `SELECT 1` on the check's
/// own connection (``PostgresClient/withCheckConnection(_:)``: never queued
/// behind requests). A stale connection is retried once on a fresh one, and
/// the requests' idle connections are dropped with it, so after a server
/// restart both heal within one check interval.
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
