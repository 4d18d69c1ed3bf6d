import AsyncHTTPClient

/// Reads a service's `/metrics` (Prometheus text exposition) for the
/// counters the demos show.
enum PrometheusText {
    /// The `/metrics` text of the service at `url`, or `nil` when it does not answer.
    static func fetch(_ client: HTTPClient, url: String) async -> String? {
        let exchange = await Exchange.perform(client, .GET, url + "/metrics", timeoutMs: 2000)
        guard exchange.status == 200 else { return nil }
        return String(decoding: exchange.body, as: UTF8.self)
    }

    /// The sum of every series of `metric` whose labels contain `labels`
    /// (e.g. `pool="postgres"`), in `exposition`.
    static func sum(_ metric: String, labels: String = "", in exposition: String) -> Double {
        exposition.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(metric + " ") || line.hasPrefix(metric + "{"), labels.isEmpty || line.contains(labels),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return total }
            return total + value
        }
    }
}
