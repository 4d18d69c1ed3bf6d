#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird

/// The HTTP contract of both services, docs/openapi.yaml, built into the
/// binary by the EmbedFiles plugin and served at `GET /openapi.yaml`.
public enum OpenAPIDocument {
    /// The document's bytes, exactly as in docs/openapi.yaml when built.
    public static let yaml: [UInt8] = Array(Data(base64Encoded: Self.embeddedBase64) ?? Data())

    public static let mediaType = "application/yaml"

    /// Registers `GET /openapi.yaml`.
    public static func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Self.mediaType],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.yaml))
            )
        }
    }
}
