import EmoJSON
import EmoNN
import EmoTensor
import Foundation

/// max|a − b| / max|b| (the relative error used throughout these tests; b is the reference).
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    var difference = 0.0, scale = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        difference = max(difference, abs(Double(x) - Double(y)))
        scale = max(scale, abs(Double(y)))
    }
    return scale == 0 ? difference : difference / scale
}

enum Fixtures {
    static let tiny = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/model/tiny")

    static func path(_ name: String) -> String { tiny.appendingPathComponent(name).path }

    static func tinyConfig() throws -> ModelConfig {
        let text = try String(contentsOfFile: path("config.json"), encoding: .utf8)
        return try ModelConfig(json: JSON.parse(text))
    }
}

/// A small config with the emohrnet-s layout (stem stride 4, four branches) and few channels.
func smallConfig(classes: Int = 3, fusion: String = "sum", upsampling: ModelConfig.Upsampling = .bilinear) -> ModelConfig {
    ModelConfig(
        name: "small",
        stem: .init(inputChannels: 1, channels: 4, stride: 4),
        stages: [
            .init(branches: 1, block: "bottleneck", blocks: [1], channels: [2]),
            .init(branches: 2, block: "basic", blocks: [1, 1], channels: [2, 3], fusion: fusion),
            .init(branches: 3, block: "basic", blocks: [1, 1, 1], channels: [2, 3, 4], fusion: fusion),
            .init(branches: 4, block: "basic", blocks: [1, 1, 1, 1], channels: [2, 3, 4, 5], fusion: fusion),
        ],
        fuse: .init(channels: nil, upsampling: upsampling),
        head: .init(classes: classes))
}

var slowTestsEnabled: Bool { ProcessInfo.processInfo.environment["EMOHR_SLOW_TESTS"] == "1" }

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("emonn-\(UUID().uuidString)-\(name)").path
}
