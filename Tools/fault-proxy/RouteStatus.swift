/// A route as the admin API shows it.
struct RouteStatus: Codable, Equatable, Sendable {
    var name: String
    var listen: String
    var upstream: String
    var fault: Fault.Wire
    var openConnections: Int
    var acceptedConnections: Int
    /// Bytes read from one side and not yet written to the other (held by a
    /// blackhole, delayed by latency, or waiting for the upstream connection).
    var heldBytes: Int
}
