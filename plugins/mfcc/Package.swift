// swift-tools-version:6.0
import PackageDescription

// An emohr plugin: the `features.mfcc` node. Depends only on EmoPluginKit; builds
// .build/<configuration>/libEmohrMFCC.so, which `emohr --plugin` loads.
let package = Package(
    name: "EmohrMFCC",
    products: [.library(name: "EmohrMFCC", type: .dynamic, targets: ["EmohrMFCC"])],
    dependencies: [.package(name: "EmoHRNet", path: "../..")],
    targets: [
        .target(name: "EmohrMFCC", dependencies: [.product(name: "EmoPluginKit", package: "EmoHRNet")]),
        .testTarget(name: "EmohrMFCCTests", dependencies: ["EmohrMFCC"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
