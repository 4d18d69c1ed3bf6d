/// How one upstream try ended: the upstream's status, or the failure that
/// left it without one. A value, so the per-loop attempt counters are found
/// without hashing a string.
enum TryOutcome: Hashable {
    case status(Int)
    case failure(ProxyError.Failure)

    /// As `Server-Timing` and the `outcome` label of
    /// `gateway_upstream_attempts_total` write it: `200`, `connect`, `timeout`, `reset`.
    var label: String {
        switch self {
        case .status(let status): String(status)
        case .failure(let failure): failure.rawValue
        }
    }
}
