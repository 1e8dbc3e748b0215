// swift-tools-version:6.0
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
// The per-window modules skip Swift's run-time exclusivity checks in release builds (a TLS lookup and a
// table insert per access to a class's stored property: ~0.1 s per Gbp). Debug builds, which the test
// suite runs, keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// The module walls (checked by `grep '^import' -r Sources`):
//   Basics    leaf: queues, the bounded Stage, threads, atomic files, JSON, fingerprints, clock, errors
//   GenomeIO  -> Basics, htslib, ISA-L, CKernels FASTA, indexes, windows
//   Tokenize  -> GenomeIO, Basics               tokenizers, BPE, PMI
//   Shards    -> Basics, zstd, crypto, xxhash   MDS storage and DatasetInfo; token-agnostic
//   Pipeline  -> GenomeIO, Tokenize, Shards, Trainer   `genome-prep run` / `merge` / `train` as jobs
//   Trainer   -> Shards, Basics, OpenBLAS (dlopen) reads shards, never FASTA or tokenizers
// Only the executables import ArgumentParser or write to the terminal.
let package = Package(
    name: "genome-prep",
    products: [
        .library(name: "Basics", targets: ["Basics"]),
        .library(name: "GenomeIO", targets: ["GenomeIO"]),
        .library(name: "Tokenize", targets: ["Tokenize"]),
        .library(name: "Shards", targets: ["Shards"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Trainer", targets: ["Trainer"]),
        .executable(name: "genome-prep", targets: ["genome-prep"]),
        .executable(name: "pmi-stats", targets: ["pmi-stats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, found through pkg-config or linked by name (see README "Building").
        .systemLibrary(name: "CHTSlib", pkgConfig: "htslib", providers: [.apt(["libhts-dev"])]),
        .systemLibrary(name: "CISAL", providers: [.apt(["libisal-dev"])]),                               // ISA-L inflate for BGZF
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),   // SHA-1 for MDS hashes
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]), // xxh3_64 for MDS hashes
        .systemLibrary(name: "CDeflate", providers: [.apt(["libdeflate-dev"])]),                       // CRC-32 (PCLMUL, ~10x zlib's)
        // The C loops: FASTA sequence text, N/soft-mask counts and code->id maps on SSE2/AVX2/AVX-512
        // (picked at run time); prefetching random increments.
        .target(name: "CKernels"),
        // OpenBLAS through dlopen on the first matrix product (its thread pool would otherwise spin a core at
        // every start, data commands included); needs libopenblas0 at run time only.
        .target(name: "CBLASLoader", linkerSettings: [.linkedLibrary("dl")]),
        // Core libraries: no ArgumentParser, no print(), no exit().
        .target(name: "Basics", dependencies: ["CDeflate"]),
        .target(name: "GenomeIO", dependencies: ["Basics", "CHTSlib", "CKernels", "CISAL"], swiftSettings: hotPath),
        .target(name: "Tokenize", dependencies: ["GenomeIO", "Basics", "CKernels"]),
        .target(name: "Shards", dependencies: ["Basics", "CZstd", "CCrypto", "CXXHash"], swiftSettings: hotPath),
        .target(name: "Pipeline", dependencies: ["GenomeIO", "Tokenize", "Shards", "Trainer", "Basics", "CKernels"], swiftSettings: hotPath),
        .target(name: "Trainer", dependencies: ["Shards", "Basics", "CBLASLoader"]),
        // CLIs: parse flags, call one library entry point, own the terminal (errors, progress).
        .executableTarget(name: "genome-prep",
                          dependencies: ["Basics", "GenomeIO", "Tokenize", "Shards", "Pipeline", "Trainer", "CKernels", argumentParser]),
        .executableTarget(name: "pmi-stats", dependencies: ["Basics", "GenomeIO", "Tokenize", argumentParser]),
        // libFuzzer targets for the readers of untrusted files (bench/fuzz.sh; not run in CI).
        .executableTarget(name: "gp-fuzz", dependencies: ["Basics", "GenomeIO", "Tokenize", "Shards", "Pipeline"]),
        // Tests: one target per module, the shared helpers (paths, subprocesses, temp folders) in TestSupport.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BasicsTests", dependencies: ["Basics", "TestSupport"]),
        .testTarget(name: "GenomeIOTests", dependencies: ["GenomeIO", "Basics", "CKernels", "TestSupport"], resources: [.copy("Specimens")]),
        .testTarget(name: "TokenizeTests", dependencies: ["Tokenize", "GenomeIO", "Basics", "TestSupport"],
                    exclude: ["pmi_reference.py", "hf_interop.py", "TokenizerSpecimens"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "Basics", "TestSupport"], exclude: ["IndexSpecimens"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Shards", "GenomeIO", "Tokenize", "Basics", "TestSupport"],
                    exclude: ["transformers_tokenizer.py", "python_package.py", "ConfigSpecimens"]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Pipeline", "Shards", "Basics", "TestSupport"],
                    exclude: ["bert_reference.py", "export_check.py"]),
        .testTarget(name: "CLITests", dependencies: ["Shards", "TestSupport"], exclude: ["streaming_interop.py"]),
    ]
)
