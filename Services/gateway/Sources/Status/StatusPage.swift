#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import ServiceLifecycle
import Shared

/// The status page: Services/gateway/StatusPage/status.html (HTML, CSS and
/// JavaScript in one file, no external resource), built into the binary by
/// the EmbedFiles plugin. It reads `/health/events`.
enum StatusPage {
    /// The page's bytes, exactly as in the file when built.
    static let html: [UInt8] = Array(Data(base64Encoded: Self.embeddedBase64) ?? Data())

    /// The page loads nothing from elsewhere and may connect only to its own origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// Registers `GET /status` and `GET /health/events` (server-sent events from `feed`).
    static func register<Context: RequestContext>(on router: Router<Context>, feed: StatusFeed) {
        router.get("/status") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache", .contentSecurityPolicy: Self.contentSecurityPolicy],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.html))
            )
        }
        router.get("/health/events") { request, _ in
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
            // HEAD gets no body: no stream to hold a viewer's slot.
            guard request.method != .head else { return Response(status: .ok, headers: headers) }
            guard let viewer = feed.join() else {
                throw ProblemDetails(
                    .serviceUnavailable, title: "Too many status viewers",
                    detail: "The status page has as many viewers as STATUS_MAX_VIEWERS allows; try again shortly.", retryAfterSeconds: 5
                )
            }
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    // The slot is freed here, whatever ends the stream: a
                    // write that fails because the client went away, or the
                    // server shutting down (which ends the event stream).
                    // (A stream never started is dropped by the feed.)
                    defer { feed.leave(viewer.id) }
                    if feed.start(viewer.id) {
                        try await withGracefulShutdownHandler {
                            try await writer.write(viewer.initial)
                            for await message in viewer.events { try await writer.write(message) }
                        } onGracefulShutdown: {
                            feed.leave(viewer.id)
                        }
                    }
                    try await writer.finish(nil)
                }
            )
        }
    }
}
