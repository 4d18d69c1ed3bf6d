import Shared

/// The proxy's own answers, as problem+json.
enum ProxyProblem {
    static let noHealthyUpstream = ProblemDetails(
        .serviceUnavailable, title: "No healthy upstream", detail: "No upstream endpoint can take the request now; retry later.", retryAfterSeconds: 1
    )
    static let deadlinePassed = ProblemDetails(.gatewayTimeout, detail: "The upstream did not answer before the gateway's deadline.")
    static let badGateway = ProblemDetails(.badGateway, detail: "The upstream service failed to answer.")
    static let overloaded = ProblemDetails(
        .serviceUnavailable, title: "Overloaded", detail: "The gateway has as many requests in flight as it takes; retry later.", retryAfterSeconds: 1
    )

    static func tooLarge(_ limit: Int) -> ProblemDetails {
        ProblemDetails(.contentTooLarge, detail: "The request body is over the \(limit)-byte limit.")
    }
}
