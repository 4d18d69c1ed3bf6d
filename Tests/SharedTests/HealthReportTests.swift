import Foundation
import Shared
import Testing

@Suite struct HealthReportTests {
    @Test func encodesTheIETFDraftShape() throws {
        let report = HealthReport(
            status: .warn,
            serviceId: "data-api",
            checks: [
                "postgres:responseTime": [
                    .init(componentType: "datastore", observedValue: 1.5, observedUnit: "ms", status: .pass, time: "2026-01-01T00:00:00.000Z", critical: true)
                ],
                "redis:responseTime": [.init(componentType: "datastore", status: .fail, time: "2026-01-01T00:00:00.000Z", output: "connection refused", critical: false)],
            ]
        )
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.encoded())) as? [String: Any])
        #expect(json["status"] as? String == "warn")
        #expect(json["serviceId"] as? String == "data-api")
        let checks = try #require(json["checks"] as? [String: [[String: Any]]])
        let postgres = try #require(checks["postgres:responseTime"]?.first)
        #expect(postgres["componentType"] as? String == "datastore")
        #expect(postgres["observedValue"] as? Double == 1.5)
        #expect(postgres["observedUnit"] as? String == "ms")
        #expect(postgres["status"] as? String == "pass")
        #expect(postgres["time"] as? String == "2026-01-01T00:00:00.000Z")
        #expect(postgres["output"] == nil)
        #expect(checks["redis:responseTime"]?.first?["output"] as? String == "connection refused")
    }

    @Test func roundTrips() throws {
        let report = HealthReport(status: .pass, serviceId: "x", checks: ["a:b": [.init(status: .pass, critical: true)]])
        #expect(try JSONDecoder().decode(HealthReport.self, from: Data(report.encoded())) == report)
    }
}
