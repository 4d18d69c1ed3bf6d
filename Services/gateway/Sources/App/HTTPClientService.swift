import AsyncHTTPClient
import ServiceLifecycle

/// Owns the gateway's `HTTPClient` and shuts it down after the HTTP server
/// has finished its last request.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}
