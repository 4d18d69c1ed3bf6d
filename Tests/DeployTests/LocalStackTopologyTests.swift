import Foundation
import Testing
import Yams

/// scripts/stack.conf (the local stack of scripts/up, the demos and the bench)
/// and compose.yaml describe the same system: a variable added to one and not
/// the other shows here, not in a run that behaves differently.
@Suite struct LocalStackTopologyTests {
    /// Each service's environment variable names in scripts/stack.conf are the
    /// ones compose.yaml gives it, with deploy/compose.demo.yaml's (the local
    /// stack always has the demos' chaos admin API and their tunables).
    @Test(arguments: ["data-api", "gateway"])
    func serviceHasComposesEnvironmentNames(service: String) throws {
        let local = try #require(try Self.stackConf()[service], "scripts/stack.conf has no [\(service)]")
        let compose = try Self.composeEnvironmentNames(of: service)
        #expect(!compose.isEmpty)
        #expect(Set(local.keys).subtracting(compose).sorted() == [], "\(service): only in scripts/stack.conf")
        #expect(compose.subtracting(local.keys).sorted() == [], "\(service): only in compose.yaml")
    }

    /// Every service compose.yaml starts by default runs locally too: a section
    /// of scripts/stack.conf, or a data store the scripts configure themselves.
    @Test func everyComposeServiceRunsLocally() throws {
        let compose = try Self.compose("compose.yaml")
        let services = compose["services"]?.mapping ?? [:]
        let started = services.compactMap { name, service in service["profiles"] == nil ? name.string : nil }
        let local = Set(try Self.stackConf().keys).subtracting(["stack"]).union(["postgres", "redis"])
        #expect(Set(started) == local)
    }

    /// As many data-api replicas by default: one per port of DATA_API_PORTS,
    /// and compose's `deploy.replicas` default.
    @Test func replicaCountsAgree() throws {
        let ports = try #require(try Self.stackConf()["stack"]?["DATA_API_PORTS"])
        let replicas = try #require(try Self.compose("compose.yaml")["services"]?["data-api"]?["deploy"]?["replicas"]?.string)
        let composeDefault = try #require(replicas.firstMatch(of: /:-(\d+)\}/)?.1)
        #expect(ports.split(separator: " ").count == Int(composeDefault))
    }

    private static func compose(_ path: String) throws -> Node {
        let file = RenderedOverlay.repositoryRoot.appendingPathComponent(path)
        return try #require(try Yams.compose(yaml: String(contentsOf: file, encoding: .utf8)), "\(path) is empty")
    }

    private static func composeEnvironmentNames(of service: String) throws -> Set<String> {
        var names: Set<String> = []
        for path in ["compose.yaml", "deploy/compose.demo.yaml"] {
            guard let environment = try compose(path)["services"]?[service]?["environment"] else { continue }
            if let mapping = environment.mapping {
                names.formUnion(mapping.keys.compactMap(\.string))
            } else {
                // The list form: NAME=VALUE or NAME.
                names.formUnion((environment.array(of: String.self)).map { String($0.prefix { $0 != "=" }) })
            }
        }
        return names
    }

    /// scripts/stack.conf's sections, each a NAME to VALUE map.
    private static func stackConf() throws -> [String: [String: String]] {
        let file = RenderedOverlay.repositoryRoot.appendingPathComponent("scripts/stack.conf")
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast())
                sections[name] = [:]
                current = name
                continue
            }
            let section = try #require(current, "scripts/stack.conf: \(line) before any [section]")
            let parts = line.split(separator: "=", maxSplits: 1)
            #expect(parts.count == 2, "scripts/stack.conf: not NAME=VALUE: \(line)")
            sections[section]?[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
        }
        return sections
    }
}
