import EmoJSON

extension ModelConfig {
    /// The names `preset(_:)` knows.
    public static let presetNames = ["emohrnet-s", "emohrnet-w18"]

    /// A named configuration.
    ///
    /// * `emohrnet-s` — the reference model (`scripts/emohrnet.py`, HRNet-W18-small-v1-like): stem
    ///   64, stage 1 one bottleneck (32 → 128), stages 2–4 one module each, two basic blocks per
    ///   branch, channels 16/32/64/128, fuse 240, linear head. 1 536 776 parameters for 8 classes.
    /// * `emohrnet-w18` — upstream HRNet-W18 stage layout (stage 1 four bottlenecks of 64 → 256;
    ///   stages 2–4 with 1/4/3 modules, four basic blocks per branch, channels 18/36/72/144) with
    ///   the same fuse layer (270) and head.
    public static func preset(_ name: String, classes: Int = 8, inputChannels: Int = 1) throws(ModelConfigError) -> ModelConfig {
        let stem = Stem(inputChannels: inputChannels, channels: 64, stride: 4)
        let head = Head(type: "linear", classes: classes)
        switch name {
        case "emohrnet-s":
            return ModelConfig(
                name: name, stem: stem,
                stages: [
                    Stage(branches: 1, block: "bottleneck", blocks: [1], channels: [32]),
                    Stage(branches: 2, block: "basic", blocks: [2, 2], channels: [16, 32]),
                    Stage(branches: 3, block: "basic", blocks: [2, 2, 2], channels: [16, 32, 64]),
                    Stage(branches: 4, block: "basic", blocks: [2, 2, 2, 2], channels: [16, 32, 64, 128]),
                ], head: head)
        case "emohrnet-w18":
            return ModelConfig(
                name: name, stem: stem,
                stages: [
                    Stage(branches: 1, block: "bottleneck", blocks: [4], channels: [64]),
                    Stage(modules: 1, branches: 2, block: "basic", blocks: [4, 4], channels: [18, 36]),
                    Stage(modules: 4, branches: 3, block: "basic", blocks: [4, 4, 4], channels: [18, 36, 72]),
                    Stage(modules: 3, branches: 4, block: "basic", blocks: [4, 4, 4, 4], channels: [18, 36, 72, 144]),
                ], head: head)
        default:
            throw ModelConfigError(issues: [
                ModelConfigIssue(
                    "preset", "unknown preset \"\(name)\"; known: \(presetNames.joined(separator: ", "))",
                    hint: suggestion(for: name, among: presetNames))
            ])
        }
    }
}
