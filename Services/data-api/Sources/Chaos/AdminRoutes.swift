#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Shared

/// `GET` and `PUT /admin/chaos`, registered only when `ADMIN_TOKEN` is set,
/// and requiring `Authorization: Bearer <token>` (compared in constant time).
struct AdminRoutes<Context: RequestContext>: Sendable {
    let token: String
    let chaos: ChaosSettings

    func register(on router: Router<Context>) {
        let group = router.group("admin").add(middleware: BearerTokenMiddleware(token: self.token))
        group.get("chaos") { _, _ in
            try Self.json(self.chaos.current)
        }
        group.put("chaos") { request, context in
            let update = try await request.decodeJSON(as: ChaosUpdate.self, limit: 4096, context: context)
            let values = ChaosSettings.Values(errorRate: update.errorRate, latencyMs: update.latencyMs, failPath: update.failPath)
            var errors: [ProblemDetails.FieldError] = []
            if !ChaosSettings.Values.errorRateRange.contains(values.errorRate) || !values.errorRate.isFinite {
                errors.append(.init(field: "errorRate", detail: "must be from 0 to 1"))
            }
            if !ChaosSettings.Values.latencyRange.contains(values.latencyMs) {
                errors.append(.init(field: "latencyMs", detail: "must be from 0 to 60000"))
            }
            if let failPath = update.failPath, !failPath.hasPrefix("/api/") || failPath.unicodeScalars.count > ChaosSettings.Values.failPathMaxLength {
                errors.append(.init(field: "failPath", detail: "must be a path under /api/ of at most \(ChaosSettings.Values.failPathMaxLength) characters"))
            }
            if let wedgeMs = update.wedgeMs, !ProcessWedge.range.contains(wedgeMs) {
                errors.append(.init(field: "wedgeMs", detail: "must be from 0 to 600000"))
            }
            guard errors.isEmpty else {
                throw ProblemDetails(.unprocessableContent, title: "Validation failed", errors: errors)
            }
            self.chaos.current = values
            context.logger.notice(
                "fault injection changed",
                metadata: ["error_rate": "\(values.errorRate)", "latency_ms": "\(values.latencyMs)", "fail_path": "\(values.failPath ?? "-")"]
            )
            if let wedgeMs = update.wedgeMs, wedgeMs > 0 {
                context.logger.critical("wedging the process on purpose (demo fault injection)", metadata: ["wedge_ms": "\(wedgeMs)"])
                ProcessWedge.start(for: .milliseconds(wedgeMs))
            }
            return try Self.json(values)
        }
    }

    static func json(_ values: ChaosSettings.Values) throws -> Response {
        let data = try JSONEncoder().encode(values)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The body of `PUT /admin/chaos`: the settings (a PUT replaces them all:
/// no `failPath` clears it), and optionally `wedgeMs`, which wedges the whole
/// process for that long (demo only, see ``ProcessWedge``).
struct ChaosUpdate: Decodable, Sendable {
    var errorRate: Double
    var latencyMs: Int
    var failPath: String?
    var wedgeMs: Int?
}

/// Requires `Authorization: Bearer <token>`; compares in constant time.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            value.hasPrefix("Bearer ") ? value.dropFirst(7) : nil
        }
        guard let presented, Self.constantTimeEquals(Array(presented.utf8), Array(self.token.utf8)) else {
            throw ProblemDetails(.unauthorized, detail: "Send Authorization: Bearer <ADMIN_TOKEN>.", headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }

    /// Compares every byte whatever the first difference; the length is not secret.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
