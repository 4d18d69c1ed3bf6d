import AsyncHTTPClient

/// data-api's pool counters, summed over every replica's `/metrics`: blocking
/// calls that held a pool thread past the bound its client's timeouts promise
/// (`datastore_calls_over_bound_total`, see data-api's PoolMetrics), and the
/// time acquires waited for a PostgreSQL connection.
struct ReplicaCounters: Sendable {
    var callsOverBound: Int
    var postgresWaitSeconds: Double
    var postgresWaits: Int
    /// PostgreSQL queries made for reads of one item (`item_database_reads_total`).
    var itemDatabaseReads = 0

    /// `nil` when a replica does not answer.
    static func read(_ client: HTTPClient, replicaURLs: [String]) async -> ReplicaCounters? {
        var total = ReplicaCounters(callsOverBound: 0, postgresWaitSeconds: 0, postgresWaits: 0)
        for url in replicaURLs {
            guard let text = await PrometheusText.fetch(client, url: url) else { return nil }
            total.callsOverBound += Int(PrometheusText.sum("datastore_calls_over_bound_total", in: text))
            total.postgresWaitSeconds += PrometheusText.sum("datastore_pool_wait_seconds_sum", labels: #"pool="postgres""#, in: text)
            total.postgresWaits += Int(PrometheusText.sum("datastore_pool_wait_seconds_count", labels: #"pool="postgres""#, in: text))
            total.itemDatabaseReads += Int(PrometheusText.sum("item_database_reads_total", in: text))
        }
        return total
    }

    /// What happened between `before` and now; `nil` when a counter went
    /// down (a replica restarted, and the count is unknown).
    func since(_ before: ReplicaCounters) -> ReplicaCounters? {
        let delta = ReplicaCounters(
            callsOverBound: self.callsOverBound - before.callsOverBound, postgresWaitSeconds: self.postgresWaitSeconds - before.postgresWaitSeconds,
            postgresWaits: self.postgresWaits - before.postgresWaits, itemDatabaseReads: self.itemDatabaseReads - before.itemDatabaseReads
        )
        return delta.callsOverBound < 0 || delta.postgresWaits < 0 || delta.itemDatabaseReads < 0 ? nil : delta
    }

    /// The mean PostgreSQL pool wait, in ms with one decimal.
    var postgresMeanWaitMs: Double {
        self.postgresWaits == 0 ? 0 : (self.postgresWaitSeconds / Double(self.postgresWaits) * 10_000).rounded() / 10
    }
}
