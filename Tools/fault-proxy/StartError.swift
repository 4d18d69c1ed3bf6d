/// Why the proxy could not start: one line naming what could not listen, and where.
struct StartError: Error, CustomStringConvertible {
    private enum Code {
        case cannotListen(what: String, address: Endpoint, reason: String)
    }

    private let code: Code

    /// `what` ("route postgres", "admin") could not be bound to `address`.
    static func cannotListen(_ what: String, on address: Endpoint, because error: any Error) -> StartError {
        StartError(code: .cannotListen(what: what, address: address, reason: "\(error)"))
    }

    var description: String {
        switch self.code {
        case .cannotListen(let what, let address, let reason): "cannot listen for \(what) on \(address): \(reason)"
        }
    }
}
