// swift-tools-version:6.0
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "genome-prep",
    products: [
        .library(name: "GenomeIO", targets: ["GenomeIO"]),
        .library(name: "Tokenize", targets: ["Tokenize"]),
        .library(name: "Shards", targets: ["Shards"]),
        .library(name: "Trainer", targets: ["Trainer"]),
        .executable(name: "genome-prep", targets: ["genome-prep"]),
        .executable(name: "pmi-stats", targets: ["pmi-stats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, found through pkg-config (see README "Building").
        .systemLibrary(name: "CHTSlib", pkgConfig: "htslib", providers: [.apt(["libhts-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),   // SHA-1 for MDS hashes
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]), // xxh3_64 for MDS hashes
        // Core libraries: no ArgumentParser, no print(), no exit().
        .target(name: "GenomeIO", dependencies: ["CHTSlib", "CZlib"]),
        // The C loops: prefetching random increments; CRC-32 through libdeflate (PCLMUL, ~10x zlib's).
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("deflate")]),
        .target(name: "Tokenize", dependencies: ["GenomeIO", "CZlib", "CKernels"]),
        .target(name: "Shards", dependencies: ["GenomeIO", "Tokenize", "CZstd", "CCrypto", "CXXHash"]),
        .target(name: "Trainer", dependencies: ["Shards", "COpenBLAS"]),
        // CLIs: parse flags, call one library entry point.
        .executableTarget(name: "genome-prep",
                          dependencies: ["GenomeIO", "Tokenize", "Shards", "Trainer", argumentParser]),
        .executableTarget(name: "pmi-stats", dependencies: ["GenomeIO", "Tokenize", argumentParser]),
        .testTarget(name: "GenomeIOTests", dependencies: ["GenomeIO"], resources: [.copy("Specimens")]),
        .testTarget(name: "TokenizeTests", dependencies: ["Tokenize", "GenomeIO"], exclude: ["pmi_reference.py", "hf_interop.py"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "GenomeIO", "Tokenize"], exclude: ["streaming_interop.py"]),
        .testTarget(name: "CLITests", dependencies: ["GenomeIO", "Shards"]),
    ]
)
