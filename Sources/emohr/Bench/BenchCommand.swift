import ArgumentParser

/// `emohr bench`: measures the same work as the reference tools and prints ratios.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks side by side with librosa, torchaudio and PyTorch.",
        subcommands: [BenchFeaturesCommand.self, BenchOpsCommand.self, BenchTrainCommand.self, BenchInferCommand.self])
}
