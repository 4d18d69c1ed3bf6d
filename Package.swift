// swift-tools-version:6.1
import PackageDescription

/// What every service target uses: HTTP server, lifecycle, logging, metrics, NIO.
let serviceDependencies: [Target.Dependency] = [
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Metrics", package: "swift-metrics"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]

/// How both services' release binaries are linked, for fewer of their pages
/// resident (docs/performance.md, "Footprint"): relative relocations packed
/// (RELR, lld; glibc >= 2.36) and no symbol exported to the dynamic table
/// (`-export-dynamic` comes with --static-swift-stdlib; nothing looks the
/// services' symbols up).
let serviceLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(platforms: [.linux], configuration: .release)
    )
]

let package = Package(
    name: "resilient-services",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Shared", targets: ["Shared"]),
        .executable(name: "data-api", targets: ["data-api"]),
        .executable(name: "gateway", targets: ["gateway"]),
        .executable(name: "resilience-demo", targets: ["resilience-demo"]),
        .executable(name: "fault-proxy", targets: ["fault-proxy"]),
    ],
    dependencies: [
        // No traits: the default ones link full Foundation (and ICU's data) into
        // every binary (FullFoundation) and swift-configuration (ConfigurationSupport).
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        // Tests only: the Kubernetes manifest tests parse YAML (about 30 s of CPU on a clean build).
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    ],
    targets: [
        .target(
            name: "Shared",
            dependencies: serviceDependencies + [.product(name: "Prometheus", package: "swift-prometheus")],
            path: "Shared",
            plugins: ["EmbedFiles"]
        ),
        // Files built into targets at build time (see EmbedFiles.embedded):
        // docs/openapi.yaml into Shared, the status page into Gateway.
        .executableTarget(name: "embed-file", path: "Tools/embed-file"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-file"], path: "Plugins/EmbedFiles"),
        .systemLibrary(name: "CLibPQ", path: "Services/data-api/CLibPQ"),
        .systemLibrary(name: "CHiredis", path: "Services/data-api/CHiredis"),
        .target(
            name: "DataAPI",
            dependencies: ["Shared", "CLibPQ", "CHiredis"] + serviceDependencies,
            path: "Services/data-api/Sources"
        ),
        .executableTarget(
            name: "data-api",
            dependencies: ["DataAPI", "Shared"],
            path: "Services/data-api/Main",
            linkerSettings: serviceLinkerSettings
        ),
        .target(
            name: "Gateway",
            // No AsyncHTTPClient: its TLS, HTTP/2 and compression stacks were a
            // fifth of the binary's code, for two background callers (docs/performance.md).
            dependencies: ["Shared", .product(name: "NIOHTTP1", package: "swift-nio")] + serviceDependencies,
            path: "Services/gateway/Sources",
            plugins: ["EmbedFiles"]
        ),
        .executableTarget(
            name: "gateway",
            dependencies: ["Gateway", "Shared"],
            path: "Services/gateway/Main",
            linkerSettings: serviceLinkerSettings
        ),
        .executableTarget(
            name: "resilience-demo",
            dependencies: [
                "Shared",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/resilience-demo",
            plugins: ["EmbedFiles"]
        ),
        // A TCP fault proxy for the demos (latency, blackhole, reset): NIO only, for a small image.
        .executableTarget(
            name: "fault-proxy",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/fault-proxy"
        ),
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: [
                "Shared",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/SharedTests"
        ),
        .testTarget(
            name: "DataAPITests",
            dependencies: [
                "DataAPI", "Shared", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/DataAPITests"
        ),
        .testTarget(
            name: "ResilienceDemoTests",
            // Gateway: the report test records what the gateway's own types encode;
            // Gateway and DataAPI: each ablation switch is a setting they read.
            dependencies: [
                "resilience-demo", "DataAPI", "Gateway", "Shared", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/ResilienceDemoTests"
        ),
        .testTarget(
            name: "FaultProxyTests",
            dependencies: [
                "fault-proxy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/FaultProxyTests"
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Shared", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/GatewayTests"
        ),
        .testTarget(
            name: "DeployTests",
            dependencies: ["DataAPI", "Gateway", "Shared", "TestSupport", .product(name: "Yams", package: "Yams")],
            path: "Tests/DeployTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
