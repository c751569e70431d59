// swift-tools-version: 6.1
import PackageDescription

let applePlatforms: [Platform] = [.macOS, .macCatalyst, .iOS, .tvOS, .watchOS, .visionOS]
let nonApplePlatforms: [Platform] = [.linux, .android, .windows, .openbsd, .wasi]

let package = Package(
    name: "Recurrent",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .library(name: "RecurrentTraining", targets: ["RecurrentTraining"]),
        .library(name: "RecurrentStore", targets: ["RecurrentStore"]),
        .library(name: "RecurrentSQLite", targets: ["RecurrentSQLite"]),
        .library(name: "RecurrentPostgres", targets: ["RecurrentPostgres"]),
        .library(name: "RecurrentJobs", targets: ["RecurrentJobs"]),
        .library(name: "RecurrentHTTP", targets: ["RecurrentHTTP"]),
        .executable(name: "recurrent", targets: ["RecurrentCLI"]),
        .executable(name: "recurrent-bench", targets: ["RecurrentBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        // `swift package generate-documentation --target Recurrent` (DocC).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The engine's hot kernels in C, compiled once per x86-64 level
        // (AVX2, AVX-512) and chosen at run time (CPUKernels).
        .target(name: "CKernels"),
        // The per-thread floating-point mode (flushing subnormals to zero) on
        // x86-64 and arm64.
        .target(name: "CFloatingPoint"),
        // The engine. Products run through OpenBLAS on Linux and through
        // Accelerate, the system's BLAS, on Apple platforms.
        .target(
            name: "Recurrent",
            dependencies: [
                .target(name: "COpenBLAS", condition: .when(platforms: nonApplePlatforms)),
                "CKernels",
                "CFloatingPoint",
            ],
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: applePlatforms))]
        ),
        // What the executables do before anything else: choose OpenBLAS's
        // kernels for this CPU (not part of any library product, since it
        // re-executes the process).
        .target(
            name: "RecurrentLaunch",
            dependencies: [.target(name: "COpenBLAS", condition: .when(platforms: nonApplePlatforms))]
        ),
        // One training run (settings, resume, divergence, progress figures),
        // shared by `recurrent train` and the service's jobs.
        .target(
            name: "RecurrentTraining",
            dependencies: ["Recurrent"]
        ),
        // The storage interface: records and protocols, no database.
        .target(
            name: "RecurrentStore",
            dependencies: ["Recurrent", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The embedded store: SQLite through GRDB.
        .target(
            name: "RecurrentSQLite",
            dependencies: [
                "RecurrentStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The clustered store: PostgreSQL through PostgresNIO.
        .target(
            name: "RecurrentPostgres",
            dependencies: [
                "RecurrentStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Scheduling and running training jobs against any store.
        .target(
            name: "RecurrentJobs",
            dependencies: [
                "Recurrent",
                "RecurrentTraining",
                "RecurrentStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The HTTP API, the only target that knows Hummingbird.
        .target(
            name: "RecurrentHTTP",
            dependencies: [
                "Recurrent",
                "RecurrentStore",
                "RecurrentSQLite",
                "RecurrentPostgres",
                "RecurrentJobs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "RecurrentCLI",
            dependencies: [
                "Recurrent",
                "RecurrentLaunch",
                "RecurrentTraining",
                "RecurrentSQLite",
                "RecurrentHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "RecurrentBench",
            dependencies: ["Recurrent", "RecurrentLaunch"]
        ),
        .testTarget(
            name: "RecurrentTests",
            dependencies: ["Recurrent"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RecurrentTrainingTests",
            dependencies: ["RecurrentTraining", "Recurrent"]
        ),
        .testTarget(
            name: "RecurrentCLITests",
            dependencies: [
                "Recurrent",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The SQLite store on real database files.
        .testTarget(
            name: "RecurrentSQLiteTests",
            dependencies: [
                "RecurrentSQLite",
                "RecurrentStore",
                "Recurrent",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // What several test targets share: a throwaway PostgreSQL server
        // and the suite trait that runs one (a plain target, not a product).
        .target(
            name: "RecurrentTestSupport",
            path: "Tests/RecurrentTestSupport"
        ),
        .testTarget(
            name: "RecurrentPostgresTests",
            dependencies: [
                "RecurrentTestSupport",
                "RecurrentPostgres",
                "RecurrentStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "RecurrentHTTPTests",
            dependencies: [
                "RecurrentTestSupport",
                "RecurrentHTTP",
                "RecurrentPostgres",
                "RecurrentJobs",
                "RecurrentStore",
                "RecurrentSQLite",
                "Recurrent",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
