#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A health report in the IETF draft format ("Health Check Response Format for
/// HTTP APIs", media type `application/health+json`).
///
/// Decodable too, so a gateway can read the reports of the services behind it.
public struct HealthReport: Sendable, Codable, Equatable {
    public var status: HealthStatus
    public var serviceId: String?
    public var description: String?
    public var output: String?
    public var checks: [String: [CheckEntry]]?

    public init(status: HealthStatus, serviceId: String? = nil, description: String? = nil, output: String? = nil, checks: [String: [CheckEntry]]? = nil) {
        self.status = status
        self.serviceId = serviceId
        self.description = description
        self.output = output
        self.checks = checks
    }

    /// One entry of `checks`: the last result of one check.
    public struct CheckEntry: Sendable, Codable, Equatable {
        public var componentId: String?
        public var componentType: String?
        public var observedValue: Double?
        public var observedUnit: String?
        public var status: HealthStatus
        /// RFC 3339 time of the last run.
        public var time: String?
        /// Short, generic cause when not `pass`; never a secret.
        public var output: String?
        /// Extension: whether a failure of this check makes the service not ready.
        public var critical: Bool?
        /// Extension used by aggregators: the checks a downstream service reported.
        public var checks: [String: [CheckEntry]]?

        public init(
            componentId: String? = nil, componentType: String? = nil, observedValue: Double? = nil, observedUnit: String? = nil,
            status: HealthStatus, time: String? = nil, output: String? = nil, critical: Bool? = nil, checks: [String: [CheckEntry]]? = nil
        ) {
            self.componentId = componentId
            self.componentType = componentType
            self.observedValue = observedValue
            self.observedUnit = observedUnit
            self.status = status
            self.time = time
            self.output = output
            self.critical = critical
            self.checks = checks
        }
    }

    /// The media type of a full report.
    public static let mediaType = "application/health+json"

    /// Encodes the report as JSON with stable key order.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain values of this struct cannot fail.
        return (try? Array(encoder.encode(self))) ?? Array(#"{"status":"fail"}"#.utf8)
    }
}

extension HealthReport {
    /// The status a service reports from its checks: a critical check counts as
    /// it is; a non-critical one counts at most as `warn`.
    public static func aggregate(_ checks: some Sequence<(status: HealthStatus, criticality: Criticality)>) -> HealthStatus {
        HealthStatus.worst(
            checks.map { check in
                check.criticality == .critical ? check.status : min(check.status, .warn)
            }
        )
    }
}

/// RFC 3339 timestamps (UTC, milliseconds) for health entries.
public enum HealthTime {
    public static func string(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
