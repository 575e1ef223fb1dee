import EmoCore
import Foundation

/// Folds made of whole groups of a metadata value (speakers, sessions): the planning shared by
/// `split.leaveOneSpeakerOut` and `split.leaveOneSessionOut`.
struct GroupFolds {
    /// The values tested in each fold, in fold order.
    var groups: [[String]]
    /// Each item's test fold.
    var testFold: [Int?]

    /// Plans the folds.
    /// - Parameters:
    ///   - key: the metadata key (`speaker`, `session`).
    ///   - order: the values in fold order; nil: sorted values found in the items.
    ///   - groups: explicit values per fold; overrides `order` and `foldCount`.
    ///   - foldCount: deal `order` into this many consecutive groups (sizes differ by at most one).
    init(items: [Item], key: String, order: [String]?, groups explicit: [[String]]?, foldCount: Int?) throws {
        let found = Set(items.compactMap { $0.metadata[key] })
        let word = key
        func checkListed(_ listed: [String], what: String) throws {
            var seen = Set<String>()
            for value in listed {
                guard seen.insert(value).inserted else { throw SplitError("\(word) \(value) is listed twice in \(what)") }
                guard found.contains(value) else {
                    throw SplitError("\(what) lists \(word) \(value), which has no items",
                                     hint: "items have \(word)s " + found.sorted().joined(separator: ", "))
                }
            }
            let unlisted = found.subtracting(seen).sorted()
            guard unlisted.isEmpty else {
                throw SplitError("\(word)s " + unlisted.joined(separator: ", ") + " have items but are not in \(what)",
                                 hint: "list every \(word), or filter those items out upstream")
            }
        }
        if let explicit {
            try checkListed(explicit.flatMap { $0 }, what: "groups")
            if let empty = explicit.firstIndex(where: \.isEmpty) { throw SplitError("group \(empty + 1) is empty") }
            groups = explicit
        } else {
            let ordered = order ?? found.sorted()
            if order != nil { try checkListed(ordered, what: "the \(word) order") }
            if let foldCount {
                guard foldCount <= ordered.count else {
                    throw SplitError("\(foldCount) folds need at least \(foldCount) \(word)s; the items have \(ordered.count)")
                }
                var chunks: [[String]] = []
                var start = 0
                for fold in 0..<foldCount {
                    let size = ordered.count / foldCount + (fold < ordered.count % foldCount ? 1 : 0)
                    chunks.append(Array(ordered[start..<start + size]))
                    start += size
                }
                groups = chunks
            } else {
                groups = ordered.map { [$0] }
            }
        }
        var foldOf: [String: Int] = [:]
        for (fold, group) in groups.enumerated() { for value in group { foldOf[value] = fold } }
        testFold = items.map { $0.metadata[key].flatMap { foldOf[$0] } }
    }
}
