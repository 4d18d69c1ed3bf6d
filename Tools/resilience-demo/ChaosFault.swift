/// data-api's fault injection (`PUT /admin/chaos`) that a scenario makes on
/// the affected replica or on every replica; the driver sets it and turns
/// it off, through ``ChaosClient``.
struct ChaosFault: Sendable {
    /// The chaos settings; `{path}` stands for the poison item's path.
    var json: String
    var everyReplica: Bool

    /// The settings for `poisonPath` (for a poison request).
    func settings(poisonPath: String?) -> String {
        poisonPath.map { self.json.replacing("{path}", with: $0) } ?? self.json
    }
}
