/// One pass over a stream: the training epoch, and the cross-validation fold being trained.
/// Stochastic nodes draw from it; fold-aware nodes (augmentation for training items only) read
/// each item's role in `fold`.
public struct Pass: Sendable, Hashable, CustomStringConvertible {
    /// Epoch, from 0.
    public var epoch: Int
    /// Fold, from 0 (0 for single-split protocols).
    public var fold: Int

    /// A pass.
    public init(epoch: Int, fold: Int = 0) {
        self.epoch = epoch
        self.fold = fold
    }

    /// Epoch 0 of fold 0: the pass of single-pass runs.
    public static let first = Pass(epoch: 0)

    public var description: String { fold == 0 ? "epoch \(epoch + 1)" : "fold \(fold + 1), epoch \(epoch + 1)" }
}

/// What a map node knows while processing one item: where it is, which pass, and its randomness.
public struct ItemContext: Sendable {
    /// The node's id in the pipeline.
    public var nodeId: String
    /// The pass over the stream.
    public var pass: Pass
    /// The run seed.
    public var seed: UInt64
    /// Where notices go (the run report), if anywhere.
    let noticeSink: (@Sendable (_ code: String, _ message: String) -> Void)?

    /// A context; `noticeSink` receives ``notice(_:_:)`` calls (the engine routes them to the run report).
    public init(nodeId: String, pass: Pass = .first, seed: UInt64 = 0,
                noticeSink: (@Sendable (_ code: String, _ message: String) -> Void)? = nil) {
        self.nodeId = nodeId
        self.pass = pass
        self.seed = seed
        self.noticeSink = noticeSink
    }

    /// Lists something about the current item in the run report without failing it (a silent file
    /// kept, say).
    public func notice(_ code: String, _ message: String) { noticeSink?(code, message) }

    /// The training epoch (0 for single-pass runs).
    public var epoch: Int { pass.epoch }

    /// The random generator for `item` in this node, fold and epoch: seeded from (run seed, fold,
    /// epoch, item id, node id), so an augmented example can be regenerated exactly and does not
    /// depend on thread scheduling or item order.
    public func random(for item: Item) -> SeededRandom {
        SeededRandom(parts: [String(seed), String(pass.fold), String(pass.epoch), item.id, nodeId])
    }

    /// The item's role (`train`, `validation`, `test`) in this pass's fold, if it has one.
    public func role(of item: Item) -> String? { item.role(inFold: pass.fold) }
}

extension Item {
    /// The item's role in `fold`: from the `roles` metadata (comma-separated, one role per fold),
    /// else from `split`.
    public func role(inFold fold: Int) -> String? {
        if let roles = metadata[MetadataKey.roles] {
            let list = roles.split(separator: ",")
            return fold < list.count ? String(list[fold]) : nil
        }
        return metadata[MetadataKey.split]
    }
}
