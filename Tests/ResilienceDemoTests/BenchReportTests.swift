import Foundation
import Testing

@testable import resilience_demo

@Suite struct BenchReportTests {
    static let tsv = """
        meta\t-\tmode\tquick
        proxy\thaproxy\trps\t40000
        proxy\thaproxy\trps\t44000
        proxy\thaproxy\tp99_ms\t2
        proxy\tgateway\trps\t30000
        proxy\tgateway\trps\t10000
        proxy\tgateway\trps\t20000
        proxy\tgateway\tp99_ms\t5
        recovery\tdetect-api\tms\t300
        recovery\tdetect-api\tms\t900
        footprint\tgateway\trss_idle_mib\tnot-a-number
        a line that is not four fields

        """

    @Test func figuresAreMediansOfTheirRoundsWithRatiosToHAProxy() throws {
        let report = BenchReport(tsv: Self.tsv)
        #expect(report.meta == ["mode": "quick"])
        #expect(report.median("proxy", "gateway", "rps") == 20000)
        #expect(report.median("proxy", "haproxy", "rps") == 42000)
        #expect(report.ratio("proxy", "rps", "gateway", to: "haproxy") == 0.476)
        #expect(report.ratio("proxy", "p99_ms", "gateway", to: "haproxy") == 2.5)
        #expect(report.median("footprint", "gateway", "rss_idle_mib") == nil)

        let json = try JSONSerialization.jsonObject(with: report.json()) as? [String: Any]
        let gateway = (json?["proxy"] as? [String: Any])?["gateway"] as? [String: Any]
        #expect(gateway?["rps"] as? Double == 20000)
        #expect(gateway?["rps_runs"] as? [Double] == [30000, 10000, 20000])
        #expect(gateway?["rps_vs_haproxy"] as? Double == 0.476)
        let detect = (json?["recovery"] as? [String: Any])?["detect-api"] as? [String: Any]
        #expect(detect?["ms_max"] as? Double == 900)
    }

    @Test func aRunWithoutARequiredFigureIsIncomplete() {
        let missing = BenchReport(tsv: Self.tsv).missing
        #expect(missing.contains("proxy/direct/rps"))
        #expect(missing.contains("footprint/gateway/rss_idle_mib"))
        #expect(!missing.contains("proxy/gateway/rps"))
        let complete = BenchReport.required.map { path -> String in
            let parts = path.split(separator: "/")
            return "\(parts[0])\t\(parts[1])\t\(parts[2])\t1"
        }
        #expect(BenchReport(tsv: complete.joined(separator: "\n")).missing.isEmpty)
    }

    @Test func tablesAlignAndFormatTheirFigures() {
        #expect(BenchReport.format(41833.4, digits: 0) == "41,833")
        #expect(BenchReport.format(-1234567, digits: 3) == "-1,234,567")
        #expect(BenchReport.format(2.5, digits: 3) == "2.500")
        #expect(BenchReport.format(nil, digits: 1) == "-")
        #expect(0.0456.fixed(2) == "0.05")
        #expect((-3.14159).fixed(1) == "-3.1")
        #expect(7.0.fixed(0) == "7")
        let table = BenchReport.table("T", header: ["name", "req/s"], rows: [["gateway", "9"], ["x", "41,833"]])
        #expect(table == "\nT\nname      req/s\n-------  ------\ngateway       9\nx        41,833\n")
    }
}
