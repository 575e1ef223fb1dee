/// What a map node knows while processing one item: where it is, which pass, and its randomness.
public struct ItemContext: Sendable {
    /// The node's id in the pipeline.
    public var nodeId: String
    /// The pass over the stream (the training epoch; 0 for single-pass runs).
    public var epoch: Int
    /// The run seed.
    public var seed: UInt64

    /// A context.
    public init(nodeId: String, epoch: Int, seed: UInt64) {
        self.nodeId = nodeId
        self.epoch = epoch
        self.seed = seed
    }

    /// The random generator for `item` in this node and epoch: seeded from (run seed, epoch, item id,
    /// node id), so an augmented example can be regenerated exactly and does not depend on thread
    /// scheduling or item order.
    public func random(for item: Item) -> SeededRandom {
        SeededRandom(parts: [String(seed), String(epoch), item.id, nodeId])
    }
}
