// swift-tools-version: 6.1
import PackageDescription

// The engine's hot loops are compiled with optimisation even in debug builds,
// so the test suite (which builds in debug) trains at a useful speed, and for
// Haswell-class x86-64 (AVX2 and FMA, every x86 server CPU since 2013) so its SIMD
// loops use 256-bit fused multiply-adds.
let engineSettings: [SwiftSetting] = [
    .unsafeFlags(["-O", "-enforce-exclusivity=unchecked", "-target-cpu", "haswell"]),
]

let package = Package(
    name: "Recurrent",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .library(name: "RecurrentServer", targets: ["RecurrentServer"]),
        .executable(name: "recurrent", targets: ["RecurrentCLI"]),
        .executable(name: "recurrent-bench", targets: ["RecurrentBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "Recurrent",
            dependencies: ["COpenBLAS"],
            swiftSettings: engineSettings
        ),
        .target(
            name: "RecurrentServer",
            dependencies: ["Recurrent"]
        ),
        .executableTarget(
            name: "RecurrentCLI",
            dependencies: [
                "Recurrent",
                "RecurrentServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "RecurrentBench",
            dependencies: ["Recurrent"],
            swiftSettings: engineSettings
        ),
        .testTarget(
            name: "RecurrentTests",
            dependencies: ["Recurrent"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RecurrentCLITests",
            dependencies: ["Recurrent"]
        ),
    ]
)
