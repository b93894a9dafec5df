// swift-tools-version:6.0
// The GitOps rollback operator. Every C library comes from a Debian -dev package through a
// system-library target; the only Swift packages are swift-argument-parser (the CLI) and
// swift-log (structured logging).
import PackageDescription

let package = Package(
    name: "ai-operator",
    products: [
        .executable(name: "ai-operator", targets: ["ai-operator"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // C libraries (Debian: libmicrohttpd-dev, libcurl4-openssl-dev, libssl-dev, libsqlite3-dev).
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // curl_easy_setopt and friends are variadic: Swift cannot call them without this shim.
        .target(name: "CCurlShim", dependencies: ["CCurl"]),

        // Pure domain logic: no I/O, no clock, no randomness that is not injected.
        .target(name: "RollbackCore"),
        // Signature checks and decoding of webhook payloads into core signals.
        .target(name: "Webhooks", dependencies: ["RollbackCore", "COpenSSL"]),
        // A small request/response server over libmicrohttpd.
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD"]),
        // SQLite: the durable inbox, attempt state.
        .target(name: "Storage", dependencies: ["CSQLite"]),
        // The append-only, hash-chained audit log (JSON lines, one file per UTC day).
        .target(name: "Audit", dependencies: ["RollbackCore", "COpenSSL"]),
        // libcurl transport and the GitHub, Argo CD, Kubernetes, Prometheus and Slack clients.
        .target(name: "Clients", dependencies: ["CCurl", "CCurlShim", "COpenSSL"]),
        // Stateful fakes of the same HTTP APIs, for tests and the demo.
        .target(name: "Simulator", dependencies: ["HTTPServer", "COpenSSL"]),
        // The service: configuration, ingress routes, metrics, engine.
        .target(
            name: "Operator",
            dependencies: [
                "RollbackCore", "Webhooks", "HTTPServer", "Storage", "Clients", "Audit",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The demo: simulators + the real service on loopback, scripted scenarios (also used by
        // the end-to-end tests).
        .target(
            name: "Demo",
            dependencies: [
                "Operator", "Simulator", "RollbackCore", "Audit",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "ai-operator",
            dependencies: [
                "Operator", "Demo", "Audit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Benchmarks (run with -c release; see bench/README.md).
        .executableTarget(name: "CoreBench", dependencies: ["RollbackCore"], path: "bench/CoreBench"),
        .executableTarget(
            name: "EngineBench",
            dependencies: [
                "Demo", "Operator", "Simulator", "RollbackCore",
                .product(name: "Logging", package: "swift-log"),
            ], path: "bench/EngineBench"),

        // Helpers shared by the test targets (a raw-socket HTTP client with hard timeouts, temp dirs).
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "RollbackCoreTests", dependencies: ["RollbackCore"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "RollbackCore"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Demo", "Operator", "Simulator", "RollbackCore", "TestSupport"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "RollbackCore", "TestSupport"]),
        // Checks the files under deploy/ (manifests, alert rules, dashboard).
        .testTarget(name: "DeployTests", dependencies: ["TestSupport"]),
        .testTarget(
            name: "ClientsTests", dependencies: ["Clients", "Simulator", "HTTPServer", "TestSupport"]),
        .testTarget(
            name: "OperatorTests",
            dependencies: ["Operator", "Simulator", "Clients", "Storage", "Webhooks", "RollbackCore", "TestSupport"]),
    ]
)
