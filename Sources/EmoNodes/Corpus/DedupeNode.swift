import EmoCore
import EmoJSON
import Foundation

/// XXH64 (xxHash, 64-bit, seed 0) of a byte buffer: 8 bytes per step, several GB/s in release builds.
enum ContentHash {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) private static func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 {
        (value << bits) | (value >> (64 - bits))
    }

    @inline(__always) private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotate(accumulator &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) private static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }

    /// XXH64 of `bytes` with seed 0.
    static func xxh64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var offset = 0
        @inline(__always) func load64(_ at: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        @inline(__always) func load32(_ at: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        var hash: UInt64
        if count >= 32 {
            var v1 = prime1 &+ prime2
            var v2 = prime2
            var v3: UInt64 = 0
            var v4 = 0 &- prime1
            while offset + 32 <= count {
                v1 = round(v1, load64(offset))
                v2 = round(v2, load64(offset + 8))
                v3 = round(v3, load64(offset + 16))
                v4 = round(v4, load64(offset + 24))
                offset += 32
            }
            hash = rotate(v1, 1) &+ rotate(v2, 7) &+ rotate(v3, 12) &+ rotate(v4, 18)
            hash = merge(hash, v1)
            hash = merge(hash, v2)
            hash = merge(hash, v3)
            hash = merge(hash, v4)
        } else {
            hash = prime5
        }
        hash &+= UInt64(count)
        while offset + 8 <= count {
            hash ^= round(0, load64(offset))
            hash = rotate(hash, 27) &* prime1 &+ prime4
            offset += 8
        }
        if offset + 4 <= count {
            hash ^= load32(offset) &* prime1
            hash = rotate(hash, 23) &* prime2 &+ prime3
            offset += 4
        }
        while offset < count {
            hash ^= UInt64(bytes[offset]) &* prime5
            hash = rotate(hash, 11) &* prime1
            offset += 1
        }
        hash ^= hash >> 33
        hash &*= prime2
        hash ^= hash >> 29
        hash &*= prime3
        hash ^= hash >> 32
        return hash
    }

    /// XXH64 of `data`.
    static func xxh64(_ data: Data) -> UInt64 { data.withUnsafeBytes { xxh64($0) } }
}

/// `corpus.dedupe`: finds byte-identical files and drops copies by policy.
public final class DedupeNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "corpus.dedupe",
        summary: "Finds byte-identical audio files and drops the copies",
        details: """
            Hashes every file's bytes (XXH64, files read in parallel; equal hashes are confirmed by \
            comparing the bytes) and groups identical files. Each group is reported as `duplicate` \
            notices and in a report section under the node's id. Policies: `keepFirst` keeps the \
            first item of each group in stream order (by id, for corpus readers) and drops the \
            others; `dropConflicting` drops every copy when their labels disagree (the same audio \
            cannot teach two emotions) and otherwise keeps the first; `keepAll` only reports. A \
            file that cannot be read is kept and reported as `unreadable` (the decoder will fail on \
            it under its own policy).
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances to check")],
        outputs: [PortSpec("items", .utterances, summary: "utterances without duplicate copies")],
        parameters: [
            ParameterSpec("policy", .choice(["keepFirst", "dropConflicting", "keepAll"]), default: "keepFirst",
                          summary: "what to do with each group of identical files"),
        ],
        example: """
            { "id": "dedupe", "type": "corpus.dedupe", "inputs": { "items": "corpus.items" }, "params": { "policy": "dropConflicting" } }
            """)

    let policy: String
    let nodeId: String

    public init(setup: NodeSetup) throws {
        policy = setup.parameters.string("policy")
        nodeId = setup.nodeId
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["items"] else { throw FormatError(port: "items", expected: "Utterances") }
        return ["items": format]
    }

    /// One group of byte-identical items, in stream order.
    struct Group {
        var indices: [Int]
    }

    /// Groups of two or more byte-identical files among `paths` (nil paths and unreadable files are
    /// never grouped), each in input order, groups ordered by their first member; and the indices
    /// of unreadable files.
    static func duplicateGroups(paths: [String?], workers: Int) -> (groups: [[Int]], unreadable: [Int]) {
        final class Results: @unchecked Sendable {
            var hashes: [UInt64?]
            var sizes: [Int]
            let lock = NSLock()
            init(_ count: Int) {
                hashes = Array(repeating: nil, count: count)
                sizes = Array(repeating: -1, count: count)
            }
        }
        let results = Results(paths.count)
        let chunks = max(1, min(paths.count, workers * 4))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var index = chunk
            while index < paths.count {
                if let path = paths[index],
                    let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
                {
                    let hash = ContentHash.xxh64(data)
                    results.lock.withLock {
                        results.hashes[index] = hash
                        results.sizes[index] = data.count
                    }
                }
                index += chunks
            }
        }
        var buckets: [String: [Int]] = [:]
        var unreadable: [Int] = []
        for index in paths.indices {
            guard let hash = results.hashes[index] else {
                if paths[index] != nil { unreadable.append(index) }
                continue
            }
            buckets["\(hash)-\(results.sizes[index])", default: []].append(index)
        }
        var groups: [[Int]] = []
        for bucket in buckets.values where bucket.count > 1 {
            // Confirm by content: split the bucket into classes of equal bytes.
            var classes: [(data: Data, members: [Int])] = []
            for index in bucket {
                guard let path = paths[index], let data = FileManager.default.contents(atPath: path) else { continue }
                if let match = classes.firstIndex(where: { $0.data == data }) {
                    classes[match].members.append(index)
                } else {
                    classes.append((data, [index]))
                }
            }
            groups += classes.map(\.members).filter { $0.count > 1 }
        }
        return (groups.map { $0.sorted() }.sorted { $0[0] < $1[0] }, unreadable)
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        let items = try input.collect()
        let paths = items.map { item in
            (item.payload as? UtterancePayload)?.path ?? item.metadata[MetadataKey.path]
        }
        let (groups, unreadable) = Self.duplicateGroups(paths: paths, workers: context.workers)
        for index in unreadable {
            context.notice(itemId: items[index].id, nodeId: nodeId, code: CorpusNoticeCode.unreadable,
                           message: "cannot read \(paths[index] ?? "") to look for duplicates; kept")
        }
        var dropped = Set<Int>()
        var groupReports: [JSON] = []
        for group in groups {
            let labels = group.map { items[$0].label ?? "" }
            let conflicting = Set(labels).count > 1
            let dropHere: [Int]
            switch policy {
            case "keepAll": dropHere = []
            case "dropConflicting": dropHere = conflicting ? group : Array(group.dropFirst())
            default: dropHere = Array(group.dropFirst())
            }
            dropped.formUnion(dropHere)
            let ids = group.map { items[$0].id }
            for index in group {
                let others = ids.filter { $0 != items[index].id }.joined(separator: ", ")
                let fate = dropHere.contains(index) ? "dropped" : "kept"
                let labelNote = conflicting ? " (labels disagree: \(labels.joined(separator: ", ")))" : ""
                context.notice(itemId: items[index].id, nodeId: nodeId, code: CorpusNoticeCode.duplicate,
                               message: "byte-identical to \(others)\(labelNote); \(fate)")
            }
            groupReports.append([
                "items": .array(ids.map(JSON.string)), "labels": .array(labels.map(JSON.string)),
                "conflicting": .bool(conflicting), "dropped": .array(dropHere.map { .string(items[$0].id) }),
            ])
        }
        context.addReportSection(nodeId, [
            "type": "corpus.dedupe", "policy": .string(policy), "items": .int(items.count),
            "duplicateGroups": .int(groups.count), "dropped": .int(dropped.count), "unreadable": .int(unreadable.count),
            "groups": .array(groupReports),
        ])
        let kept = items.indices.filter { !dropped.contains($0) }.map { items[$0] }
        return ["items": SplitPlanning.stream(kept, from: input, copying: [])]
    }
}
