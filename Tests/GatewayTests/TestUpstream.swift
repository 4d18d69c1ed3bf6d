import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport

/// A real HTTP upstream for gateway tests, on a free loopback port, whose
/// behaviour a test switches at run time: answer, answer with a status,
/// answer slowly, hang, or report itself unready. It counts the requests it got.
final class TestUpstream: Sendable {
    enum Behaviour: Sendable, Equatable {
        case ok
        case status(Int)
        case delay(Duration)
        case hang
    }

    let port: Int
    /// Shared with the server's handlers.
    final class State: Sendable {
        let mutex = Mutex<(behaviour: Behaviour, ready: Bool, hits: Int, lastHeaders: [String: String], lastBody: String, lastTarget: String)>((.ok, true, 0, [:], "", ""))
        func withLock<R>(_ body: (inout (behaviour: Behaviour, ready: Bool, hits: Int, lastHeaders: [String: String], lastBody: String, lastTarget: String)) -> R) -> R {
            self.mutex.withLock { body(&$0) }
        }
    }

    private let state = State()
    private let serviceGroup: ServiceGroup

    var url: String { "http://127.0.0.1:\(self.port)" }
    var hits: Int { self.state.withLock { $0.hits } }
    var lastHeaders: [String: String] { self.state.withLock { $0.lastHeaders } }
    /// The body of the last request to `/api/**`.
    var lastBody: String { self.state.withLock { $0.lastBody } }
    /// The path and query of the last request to `/api/**`.
    var lastTarget: String { self.state.withLock { $0.lastTarget } }

    func set(_ behaviour: Behaviour) { self.state.withLock { $0.behaviour = behaviour } }
    func setReady(_ ready: Bool) { self.state.withLock { $0.ready = ready } }

    init() async throws {
        let port = try freePort()
        self.port = port
        let router = Router()
        let state = self.state
        router.get("/health") { _, _ -> Response in
            let ready = state.withLock { $0.ready }
            let body = ready ? #"{"status":"pass","checks":{"postgres:responseTime":[{"status":"pass"}]}}"# : #"{"status":"fail","checks":{"postgres:responseTime":[{"status":"fail","output":"connection refused"}]}}"#
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/health+json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            // Counted as soon as the head arrives: a request whose body then
            // breaks off has still reached the upstream.
            state.withLock { state in
                state.hits += 1
                state.lastHeaders = headers
                state.lastTarget = request.uri.description
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            let behaviour = state.withLock { state in
                state.lastBody = String(buffer: body)
                return state.behaviour
            }
            switch behaviour {
            case .ok: break
            case .status(let code):
                return Response(status: .init(code: code), headers: [.retryAfter: "0"], body: .init(byteBuffer: ByteBuffer(string: "upstream \(code)")))
            case .delay(let duration): try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
            case .hang: try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok from \(port) body=\(String(buffer: body))")))
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .trace] {
            router.on("/api/**", method: method, use: handler)
        }
        var logger = Logger(label: "upstream")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        self.serviceGroup = serviceGroup
        Task { try await serviceGroup.run() }
        try await waitUntil("test upstream listening") {
            try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1)).status == .ok
        }
    }

    /// Shuts the server down gracefully, never by cancelling its task: a
    /// connection accepted while the serving task is cancelled traps in NIO
    /// ("Deinited NIOAsyncWriter without calling finish()", swift-nio#2637).
    deinit {
        let serviceGroup = self.serviceGroup
        Task { await serviceGroup.triggerGracefulShutdown() }
    }
}
