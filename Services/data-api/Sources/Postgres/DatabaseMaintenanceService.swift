import Logging
import ServiceLifecycle
import Shared

/// Start-up and upkeep of the database: applies the schema (retrying with
/// backoff until PostgreSQL answers), marks the service started, then purges
/// expired idempotency keys at once and every `purgeInterval` until shutdown.
///
/// The service is marked started only once `monitor` reports `postgresCheck`
/// passing, from a run made after the schema was applied: the first request
/// the start-up gate lets through then finds readiness already `200`, never
/// in the window before the check's next periodic run.
struct DatabaseMaintenanceService: Service {
    let postgres: PostgresClient
    let monitor: HealthMonitor
    let postgresCheck: PostgresHealthCheck
    let idempotency: IdempotentItemCreator
    let lifecycle: LifecycleState
    let purgeInterval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.migrate()
            await runPeriodically(every: self.purgeInterval, from: .endOfRun) {
                if let purged = try? await self.idempotency.purgeExpired(), purged > 0 {
                    self.logger.info("purged expired idempotency keys", metadata: ["count": "\(purged)"])
                }
            }
        }
    }

    private func migrate() async {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(2))
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                let applied = try await SchemaMigrations.apply(self.postgres)
                await self.monitor.runOnce(self.postgresCheck)
                if self.monitor.status(of: self.postgresCheck) == .pass {
                    self.lifecycle.markStarted()
                    self.logger.info("schema ready", metadata: ["applied_now": "\(applied)"])
                    return
                }
                self.logger.warning("schema ready, but the postgres check does not pass yet; retrying", metadata: ["attempt": "\(attempt)"])
            } catch {
                self.logger.warning("schema not ready; retrying", metadata: ["attempt": "\(attempt)", "cause": "\(error.safeDescription)"])
            }
            do { try await Task.sleep(for: backoff.next()) } catch { return }
        }
    }
}
