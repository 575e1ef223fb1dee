import EmoCore

/// The evaluation-protocol (split) nodes, in registration order.
///
/// Conventions every split node follows (training, metrics and reports rely on them):
/// - input and output port `items` (Utterances); the output format is the input's with
///   `evaluation` (an ``EvaluationSpec`` naming the protocol) and `hasSplits` set;
/// - single-split protocols set each item's `split` metadata to `train`, `validation` or `test`;
/// - k-fold protocols set `roles` (the item's role in each fold, comma-separated, one per fold) and
///   `fold` (the fold where the item is test, from 0); read them with `Item.role(inFold:)`;
/// - validation is only ever carved from the training part, by the `validation` parameter;
///   `EvaluationSpec.validation` starts with the rule's name (`nextFold`, `fraction`, `speakers`, `none`);
/// - speaker-based protocols declare `speakerIndependent` and fail the run when
///   ``auditSpeakerIndependence(items:fold:)`` finds a speaker on both sides;
/// - randomness comes from the `seed` parameter, else the run seed, and the item ids — never the
///   input order or the node id.
public let protocolNodeTypes: [any Node.Type] = [
    RandomSplit.self, KFoldSplit.self, SpeakersSplit.self, LeaveOneSpeakerOutSplit.self, LeaveOneSessionOutSplit.self,
    FromFileSplit.self,
]

/// Registers `split.random`, `split.kfold`, `split.speakers`, `split.leaveOneSpeakerOut`,
/// `split.leaveOneSessionOut` and `split.fromFile` into `registry`.
public func registerProtocolNodes(into registry: inout NodeRegistry, origin: String = "built-in") throws {
    try registry.register(RandomSplit.self, origin: origin)
    try registry.register(KFoldSplit.self, origin: origin)
    try registry.register(SpeakersSplit.self, origin: origin)
    try registry.register(LeaveOneSpeakerOutSplit.self, origin: origin)
    try registry.register(LeaveOneSessionOutSplit.self, origin: origin)
    try registry.register(FromFileSplit.self, origin: origin)
}
