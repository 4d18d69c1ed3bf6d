#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The gateway's status page (Services/gateway/StatusPage/status.html), built
/// in by the EmbedFiles plugin: the incident report is this page with a
/// recording to replay.
enum StatusPageTemplate {
    static let html: [UInt8] = Array(Data(base64Encoded: Self.embeddedBase64) ?? Data())
}
