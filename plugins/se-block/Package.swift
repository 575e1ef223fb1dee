// swift-tools-version:6.0
import PackageDescription

// An emohr plugin: the `se-basic` residual block with squeeze-and-excitation, for HRNet model
// configs. Depends only on EmoPluginKit; builds .build/<configuration>/libEmohrSEBlock.so.
let package = Package(
    name: "EmohrSEBlock",
    products: [.library(name: "EmohrSEBlock", type: .dynamic, targets: ["EmohrSEBlock"])],
    dependencies: [.package(name: "EmoHRNet", path: "../..")],
    targets: [
        .target(name: "EmohrSEBlock", dependencies: [.product(name: "EmoPluginKit", package: "EmoHRNet")])
    ],
    swiftLanguageModes: [.v6]
)
