import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1

/// One HTTP exchange, timed; never throws (a transport error is `status == nil`).
struct Exchange: Sendable {
    var status: Int?
    var body: Data
    var latencyMs: Double
    var error: String?
    /// Why there is no answer, when there is none.
    var failure: TransportFailure?
    /// The gateway's attempt chain (its `Server-Timing`), when it answered.
    var serverTiming: String?
    /// data-api's `X-Cache` (hit, miss, bypass) for an item read.
    var cache: String?
    /// `Retry-After`, when the answer has one.
    var retryAfter: String?

    static func perform(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, json: String? = nil, headers: [(String, String)] = [], timeoutMs: Int
    ) async -> Exchange {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutMs)))
            let body = try await response.body.collect(upTo: 1 << 20)
            return Exchange(
                status: Int(response.status.code), body: Data(body.readableBytesView), latencyMs: (ContinuousClock.now - started).milliseconds,
                serverTiming: response.headers["Server-Timing"].joined(separator: ", "), cache: response.headers.first(name: "X-Cache"),
                retryAfter: response.headers.first(name: "Retry-After")
            )
        } catch {
            return Exchange(
                status: nil, body: Data(), latencyMs: (ContinuousClock.now - started).milliseconds, error: String(describing: error),
                failure: TransportFailure(error)
            )
        }
    }
}
