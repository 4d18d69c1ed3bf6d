/// How much a check's failure matters to the service that runs it.
public enum Criticality: String, Sendable, Codable {
    /// A failure makes the service `fail` and not ready (e.g. the database of record).
    case critical
    /// A failure only degrades the service to `warn`; it stays ready (e.g. a cache).
    case nonCritical
}

/// What a check is: its key in the health report (`component:measurement`) and how it counts.
public struct CheckDescriptor: Sendable, Hashable {
    public var component: String
    public var measurement: String
    public var componentType: String
    public var criticality: Criticality

    public init(component: String, measurement: String, componentType: String, criticality: Criticality) {
        self.component = component
        self.measurement = measurement
        self.componentType = componentType
        self.criticality = criticality
    }

    /// The key of the check in the report's `checks` object, e.g. `postgres:responseTime`.
    public var key: String { "\(component):\(measurement)" }
}

/// One successful run of a check: what it measured, and `pass` or `warn`.
///
/// A failed run is a thrown error instead (see ``HealthCheckError``).
public struct HealthObservation: Sendable, Equatable {
    public var status: HealthStatus
    public var observedValue: Double?
    public var observedUnit: String?
    public var output: String?

    public init(status: HealthStatus = .pass, observedValue: Double? = nil, observedUnit: String? = nil, output: String? = nil) {
        self.status = status
        self.observedValue = observedValue
        self.observedUnit = observedUnit
        self.output = output
    }
}

/// A health check run in the background by ``HealthMonitor``.
///
/// Implementations reuse the service's own clients and pools; they throw when
/// the dependency is unhealthy. A thrown error's public text is taken only from
/// ``SafeErrorDescription``, so a check can never leak a connection string.
public protocol HealthCheck: Sendable {
    var descriptor: CheckDescriptor { get }
    func run() async throws -> HealthObservation
}

/// An error whose `safeDescription` is short, generic and free of secrets
/// ("connection refused", "timeout"), fit for health bodies, logs and metric labels.
public protocol SafeErrorDescription: Error {
    var safeDescription: String { get }
}

extension Error {
    /// The error's safe public text, or a generic one for errors that don't provide it.
    public var safeDescription: String {
        (self as? any SafeErrorDescription)?.safeDescription ?? "check failed"
    }
}
