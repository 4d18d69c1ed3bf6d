import Foundation
import Gateway
import Shared
import Testing
import Yams

@testable import DataAPI

/// The project's own checks of the rendered Kubernetes manifests (schema
/// validation is the `kubernetes` stage of scripts/test): the probes are the
/// health contract, timings agree with what the services actually read,
/// secrets only ever arrive as files, pods are hardened, and the shape
/// follows compose.yaml.
@Suite(.serialized) struct KubernetesManifestTests {
    static let overlays = ["dev", "prod"]
    /// The services that implement the health contract.
    static let services = ["data-api", "gateway"]

    @Test(arguments: overlays)
    func everyContainerHasAllThreeProbesAndServicesUseTheHealthPaths(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        #expect(rendered.workloads.count == 4)
        for workload in rendered.workloads {
            let name = workload["metadata"]?["name"]?.string ?? "?"
            for container in RenderedOverlay.containers(workload) {
                let probes: [(String, HealthProbe.Kind)] = [("startupProbe", .startup), ("readinessProbe", .ready), ("livenessProbe", .live)]
                for (probe, kind) in probes {
                    #expect(container[probe] != nil, "\(overlay): \(name) has no \(probe)")
                    if Self.services.contains(name) {
                        #expect(container[probe]?["httpGet"]?["path"]?.string == "/health/\(kind.rawValue)", "\(overlay): \(name) \(probe)")
                    }
                }
            }
        }
    }

    @Test(arguments: overlays)
    func everyProbeAndServicePortExists(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        for workload in rendered.workloads {
            let name = workload["metadata"]?["name"]?.string ?? "?"
            for container in RenderedOverlay.containers(workload) {
                let ports = Self.ports(container)
                for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                    guard let port = container[probe]?["httpGet"]?["port"] ?? container[probe]?["tcpSocket"]?["port"] else { continue }
                    #expect(ports.contains(port.string ?? ""), "\(overlay): \(name) \(probe) port \(port.string ?? "?") is not a container port")
                }
            }
        }
        for service in rendered.objects("Service") {
            let name = service["metadata"]?["name"]?.string ?? "?"
            let selected = rendered.workloads.filter { Self.selects(service["spec"]?["selector"], $0["spec"]?["template"]?["metadata"]?["labels"]) }
            #expect(selected.count == 1, "\(overlay): Service \(name) selects \(selected.count) workloads")
            let ports = selected.flatMap(RenderedOverlay.containers).flatMap(Self.ports)
            for port in service["spec"]?["ports"]?.array() ?? [] {
                #expect(ports.contains(port["targetPort"]?.string ?? ""), "\(overlay): Service \(name) targets a port no container has")
            }
        }
    }

    @Test(arguments: overlays)
    func secretsArriveOnlyAsMountedFiles(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        for workload in rendered.workloads {
            let name = workload["metadata"]?["name"]?.string ?? "?"
            let secretVolumes = Set((RenderedOverlay.podSpec(workload)?["volumes"]?.array() ?? []).filter { $0["secret"] != nil }.compactMap { $0["name"]?.string })
            for container in RenderedOverlay.containers(workload) {
                #expect(container["envFrom"] == nil, "\(overlay): \(name) uses envFrom")
                for entry in container["env"]?.array() ?? [] {
                    let variable = entry["name"]?.string ?? ""
                    #expect(entry["valueFrom"] == nil, "\(overlay): \(name) \(variable) comes from valueFrom, not a file")
                    #expect(!(variable.hasSuffix("PASSWORD") || variable.hasSuffix("TOKEN")), "\(overlay): \(name) sets \(variable) as a value")
                }
                let secretMounts = (container["volumeMounts"]?.array() ?? []).filter { secretVolumes.contains($0["name"]?.string ?? "") }.compactMap { $0["mountPath"]?.string }
                for (variable, path) in RenderedOverlay.environment(container) where variable.hasSuffix("_FILE") {
                    #expect(secretMounts.contains { path.hasPrefix($0 + "/") }, "\(overlay): \(name) \(variable) is not in a mounted Secret")
                }
            }
        }
    }

    @Test func noSecretValueAppearsOutsideItsSecret() async throws {
        let demo = Self.repositoryRoot.appendingPathComponent("deploy/demo-secrets")
        let demoValues = try ["postgres-password", "redis-password", "admin-token"].map {
            try String(contentsOf: demo.appendingPathComponent($0), encoding: .utf8).trimmingCharacters(in: .newlines)
        }
        let dev = try await RenderedOverlay.named("dev")
        let sameDemoValues = Set(dev.secretValues) == Set(demoValues)
        #expect(sameDemoValues, "the dev overlay's demo secrets differ from deploy/demo-secrets")
        let devWithoutSecrets = try Self.yaml(dev.objects.filter { $0["kind"]?.string != "Secret" })
        let prod = try await RenderedOverlay.named("prod")
        #expect(prod.objects("Secret").isEmpty, "prod must not ship credentials")
        var texts = [("dev (Secrets left out)", devWithoutSecrets), ("prod", prod.text)]
        for file in try Self.sources() { texts.append((file.path, try String(contentsOf: file, encoding: .utf8))) }
        // Booleans first: a failure must not print the value.
        for value in demoValues {
            for (label, text) in texts {
                let appears = text.contains(value) || text.contains(Data(value.utf8).base64EncodedString())
                #expect(!appears, "a secret value appears in \(label)")
            }
        }
    }

    /// The environment each overlay gives the services is a valid
    /// configuration for them, with every secret read from its file, and the
    /// shutdown timings agree with what the services read.
    @Test(arguments: overlays)
    func servicesAcceptTheirEnvironmentAndTheShutdownTimingsAgree(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        let secrets = try SecretFiles(rendered)
        defer { secrets.remove() }

        let dataAPI = try DataAPIConfiguration(EnvironmentReader(environment: secrets.environment("Deployment", "data-api")))
        // Booleans first: a failure must not print a password.
        let postgresPasswordRead = dataAPI.postgres.password == secrets.value("postgres-credentials")
        let redisPasswordRead = dataAPI.redis.password == secrets.value("redis-credentials")
        let adminTokenRead = dataAPI.adminToken == (overlay == "dev" ? secrets.value("admin-token") : nil)
        #expect(postgresPasswordRead, "DATABASE_PASSWORD_FILE")
        #expect(redisPasswordRead, "REDIS_PASSWORD_FILE")
        #expect(adminTokenRead, "ADMIN_TOKEN_FILE (dev only)")
        #expect(dataAPI.http.port == 8081 && dataAPI.redis.host == "redis")
        // In-flight work ends within the statement timeout plus the client's 1 s.
        try Self.expectShutdownFits(rendered, "data-api", drain: dataAPI.drainDelay, inFlight: dataAPI.postgres.statementTimeout + .seconds(1))

        let gateway = try GatewayConfiguration(EnvironmentReader(environment: secrets.environment("Deployment", "gateway")))
        try Self.expectShutdownFits(rendered, "gateway", drain: gateway.drainDelay, inFlight: gateway.deadline)

        // UPSTREAM_URLS names the headless data-api Service, on its port, and
        // it publishes unready replicas for the gateway's own checks.
        let upstream = try #require(gateway.upstreams.first)
        let service = try #require(rendered.object("Service", upstream.host ?? ""))
        #expect(service["spec"]?["clusterIP"]?.string == "None")
        #expect(service["spec"]?["publishNotReadyAddresses"]?.bool == true)
        #expect(service["spec"]?["ports"]?.array().first?["port"]?.int == upstream.port)
        #expect(service["spec"]?["selector"]?["app.kubernetes.io/name"]?.string == "data-api")
    }

    @Test(arguments: overlays)
    func livenessIsSlowerThanReadiness(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        for name in Self.services {
            let container = try #require(rendered.container("Deployment", name))
            let window = { (probe: String) in (container[probe]?["periodSeconds"]?.int ?? 0) * (container[probe]?["failureThreshold"]?.int ?? 0) }
            #expect(window("livenessProbe") > window("readinessProbe"), "\(overlay): \(name)")
        }
    }

    @Test(arguments: overlays)
    func podsAreHardenedAndBounded(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        for workload in rendered.workloads {
            let name = workload["metadata"]?["name"]?.string ?? "?"
            let pod = try #require(RenderedOverlay.podSpec(workload))
            #expect(pod["securityContext"]?["runAsNonRoot"]?.bool == true, "\(overlay): \(name)")
            #expect(pod["securityContext"]?["seccompProfile"]?["type"]?.string == "RuntimeDefault", "\(overlay): \(name)")
            #expect(pod["automountServiceAccountToken"]?.bool == false, "\(overlay): \(name)")
            for container in RenderedOverlay.containers(workload) {
                let security = container["securityContext"]
                #expect(security?["allowPrivilegeEscalation"]?.bool == false, "\(overlay): \(name)")
                #expect(security?["readOnlyRootFilesystem"]?.bool == true, "\(overlay): \(name)")
                #expect(security?["capabilities"]?["drop"]?.array(of: String.self) == ["ALL"], "\(overlay): \(name)")
                #expect(security?["capabilities"]?["add"] == nil, "\(overlay): \(name)")
                for bound in ["requests", "limits"] {
                    for resource in ["cpu", "memory"] {
                        #expect(container["resources"]?[bound]?[resource] != nil, "\(overlay): \(name) has no \(bound).\(resource)")
                    }
                }
            }
        }
    }

    @Test(arguments: [("dev", 1, 1), ("prod", 3, 2)])
    func replicasRolloutAndDisruption(overlay: String, dataAPIReplicas: Int, gatewayReplicas: Int) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        for (name, replicas) in [("data-api", dataAPIReplicas), ("gateway", gatewayReplicas)] {
            let deployment = try #require(rendered.object("Deployment", name))
            #expect(deployment["spec"]?["replicas"]?.int == replicas, "\(overlay): \(name)")
            #expect(deployment["spec"]?["strategy"]?["rollingUpdate"]?["maxUnavailable"]?.int == 0, "\(overlay): \(name)")
            let spread = RenderedOverlay.podSpec(deployment)?["topologySpreadConstraints"]?.array().first
            #expect(spread?["topologyKey"]?.string == "kubernetes.io/hostname", "\(overlay): \(name)")
            let budgets = rendered.objects("PodDisruptionBudget").filter {
                Self.selects($0["spec"]?["selector"]?["matchLabels"], deployment["spec"]?["template"]?["metadata"]?["labels"])
            }
            #expect(budgets.count == 1, "\(overlay): \(name) has \(budgets.count) PodDisruptionBudgets")
        }
    }

    @Test(arguments: overlays)
    func imagesAreTheOnesComposeUses(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        let compose = try #require(try Yams.compose(yaml: String(contentsOf: Self.repositoryRoot.appendingPathComponent("compose.yaml"), encoding: .utf8)))
        for (kind, name) in [("Deployment", "data-api"), ("Deployment", "gateway"), ("StatefulSet", "postgres"), ("StatefulSet", "redis")] {
            let image = rendered.container(kind, name)?["image"]?.string
            #expect(image != nil && image == compose["services"]?[name]?["image"]?.string, "\(overlay): \(name) runs \(image ?? "?")")
        }
    }

    /// PostgreSQL and Redis only from data-api, data-api only from the
    /// gateway, and every allowed pair shares a network in compose.yaml.
    @Test(arguments: overlays)
    func networkPoliciesMirrorComposeNetworks(overlay: String) async throws {
        let rendered = try await RenderedOverlay.named(overlay)
        let compose = try #require(try Yams.compose(yaml: String(contentsOf: Self.repositoryRoot.appendingPathComponent("compose.yaml"), encoding: .utf8)))
        let policies = rendered.objects("NetworkPolicy")
        let denyAll = policies.filter { $0["spec"]?["podSelector"]?.mapping?.isEmpty == true && $0["spec"]?["ingress"] == nil && $0["spec"]?["egress"] == nil }
        #expect(denyAll.contains { Set($0["spec"]?["policyTypes"]?.array(of: String.self) ?? []) == ["Ingress", "Egress"] })
        for (target, allowed) in [("data-api", ["gateway"]), ("postgres", ["data-api"]), ("redis", ["data-api"])] {
            let selecting = policies.filter { $0["spec"]?["podSelector"]?["matchLabels"]?["app.kubernetes.io/name"]?.string == target }
            let sources = selecting.flatMap { ($0["spec"]?["ingress"]?.array() ?? []).flatMap { $0["from"]?.array() ?? [] } }
            let names = sources.compactMap { $0["podSelector"]?["matchLabels"]?["app.kubernetes.io/name"]?.string }
            #expect(names == allowed && names.count == sources.count, "\(overlay): \(target) is reachable from \(names)")
            let targetNetworks = Set(compose["services"]?[target]?["networks"]?.array(of: String.self) ?? [])
            for source in allowed {
                let shared = targetNetworks.intersection(compose["services"]?[source]?["networks"]?.array(of: String.self) ?? [])
                #expect(!shared.isEmpty, "\(source) -> \(target) is allowed here but shares no network on compose")
            }
        }
    }

    // MARK: - helpers

    static let repositoryRoot = RenderedOverlay.repositoryRoot

    /// preStop sleeps as long as the service drains (SHUTDOWN_DRAIN_MS), and
    /// the grace period covers preStop + drain + in-flight work.
    static func expectShutdownFits(_ rendered: RenderedOverlay, _ name: String, drain: Duration, inFlight: Duration) throws {
        let deployment = try #require(rendered.object("Deployment", name))
        let container = try #require(RenderedOverlay.containers(deployment).first)
        let command = container["lifecycle"]?["preStop"]?["exec"]?["command"]?.array(of: String.self) ?? []
        let sleep = try #require(command.count == 2 && command[0] == "sleep" ? Int(command[1]) : nil, "\(name): preStop is not a sleep")
        #expect(Duration.seconds(sleep) == drain, "\(rendered.name): \(name) preStop sleep \(sleep) s, SHUTDOWN_DRAIN_MS \(drain)")
        let grace = try #require(RenderedOverlay.podSpec(deployment)?["terminationGracePeriodSeconds"]?.int)
        #expect(.seconds(grace) > .seconds(sleep) + drain + inFlight, "\(rendered.name): \(name) terminationGracePeriodSeconds \(grace)")
    }

    static func ports(_ container: Node) -> [String] {
        (container["ports"]?.array() ?? []).flatMap { [$0["name"]?.string, $0["containerPort"]?.string].compactMap { $0 } }
    }

    /// Every label of `selector` is in `labels` with the same value.
    static func selects(_ selector: Node?, _ labels: Node?) -> Bool {
        guard case .mapping(let wanted)? = selector, !wanted.isEmpty else { return false }
        return wanted.allSatisfy { labels?[$0.key] == $0.value }
    }

    static func yaml(_ objects: [Node]) throws -> String {
        try objects.map { try Yams.serialize(node: $0) }.joined(separator: "---\n")
    }

    /// Every file under deploy/kubernetes except the dev overlay's demo credentials.
    static func sources() throws -> [URL] {
        let root = Self.repositoryRoot.appendingPathComponent("deploy/kubernetes")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])?.compactMap { $0 as? URL } ?? []
        return files.filter { !$0.path.contains("/demo-secrets/") && (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }
}
