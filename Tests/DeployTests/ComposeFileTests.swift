import Foundation
import Testing
import Yams

/// compose.yaml settings that a compose run does not show until it fails.
@Suite struct ComposeFileTests {
    /// Every service that resolves the others' names bounds glibc's wait for a
    /// silent name server to 1 s per try and asks the service name as it is
    /// first: with glibc's 5 s, one silent server held a replica's recovery
    /// for 20-40 s (docs/resilience.md, finding 6).
    @Test(arguments: ["data-api", "gateway", "prometheus"])
    func servicesThatResolveNamesBoundEachDNSTry(service: String) throws {
        let file = RenderedOverlay.repositoryRoot.appendingPathComponent("compose.yaml")
        let compose = try #require(try Yams.compose(yaml: String(contentsOf: file, encoding: .utf8)))
        let options = compose["services"]?[service]?["dns_opt"]?.array(of: String.self) ?? []
        #expect(options.contains("timeout:1"), "\(service): dns_opt \(options)")
        #expect(options.contains("ndots:0"), "\(service): dns_opt \(options)")
    }
}
