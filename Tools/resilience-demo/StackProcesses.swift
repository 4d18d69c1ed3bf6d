/// The stack's processes as the fault hook lists them (`processes`: one
/// `SERVICE IDENTITY` a line), where an identity names one process: a
/// restarted, replaced or stopped process has a new one.
struct StackProcesses: Sendable, Equatable {
    /// Each identity's service.
    let services: [String: String]

    init(listing: String) {
        var services: [String: String] = [:]
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2 { services[String(fields[1])] = String(fields[0]) }
        }
        self.services = services
    }

    /// The services of the processes listed here that `later` no longer
    /// has (one entry per process, sorted).
    func restarted(by later: StackProcesses) -> [String] {
        self.services.filter { later.services[$0.key] == nil }.map(\.value).sorted()
    }
}
