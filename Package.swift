// swift-tools-version:6.0
import PackageDescription

/// System libraries, found through pkg-config, each with the Debian package that provides it.
let systemLibraries: [Target] = [
    .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
    .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
    .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
]

let package = Package(
    name: "EmoHRNet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "emohr", targets: ["emohr"]),
        .library(name: "EmoCore", targets: ["EmoCore"]),
        .library(name: "EmoDSP", targets: ["EmoDSP"]),
        .library(name: "EmoTensor", targets: ["EmoTensor"]),
        .library(name: "EmoNN", targets: ["EmoNN"]),
        .library(name: "EmoNodes", targets: ["EmoNodes"]),
        .library(name: "EmoPluginKit", targets: ["EmoPluginKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: systemLibraries + [
        .target(name: "EmoJSON", dependencies: ["CJSONC"]),
        .target(name: "CEmoKernels"),
        .target(name: "EmoCore", dependencies: ["EmoJSON"]),
        .target(
            name: "EmoDSP",
            dependencies: ["CSndFile", "CSampleRate", "CSoxr", "CFFTW", .product(name: "Numerics", package: "swift-numerics")]),
        .target(
            name: "EmoTensor",
            dependencies: ["COpenBLAS", "CEmoKernels", .product(name: "Numerics", package: "swift-numerics")]),
        .target(name: "EmoNN", dependencies: ["EmoTensor", "EmoJSON"]),
        .target(name: "EmoNodes", dependencies: ["EmoCore", "EmoDSP", "EmoNN", "EmoJSON"]),
        .target(name: "EmoPluginKit", dependencies: ["EmoCore", "EmoJSON"]),
        .executableTarget(
            name: "emohr",
            dependencies: [
                "EmoNodes", "EmoPluginKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "EmoJSONTests", dependencies: ["EmoJSON"]),
        .testTarget(name: "EmoCoreTests", dependencies: ["EmoCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EmoDSPTests", dependencies: ["EmoDSP"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EmoTensorTests", dependencies: ["EmoTensor"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EmoNNTests", dependencies: ["EmoNN"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EmoNodesTests", dependencies: ["EmoNodes"]),
        .testTarget(name: "EmoPluginKitTests", dependencies: ["EmoPluginKit"]),
        .testTarget(name: "EmohrTests", dependencies: ["EmoNodes"]),
    ],
    swiftLanguageModes: [.v6]
)
