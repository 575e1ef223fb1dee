/// One problem in a pipeline file: where, what, and how to fix it.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// `line 3, column 8` for syntax; a path such as `nodes[3].params.nMels` for meaning; empty for
    /// the file as a whole.
    public var location: String
    /// What is wrong.
    public var message: String
    /// A suggestion (`did you mean "spectrum.mel"?`), if any.
    public var hint: String?

    /// A diagnostic.
    public init(_ location: String, _ message: String, hint: String? = nil) {
        self.location = location
        self.message = message
        self.hint = hint
    }

    public var description: String {
        (location.isEmpty ? "" : "\(location): ") + message + (hint.map { " (\($0))" } ?? "")
    }
}

/// Every problem found in a pipeline file, reported together.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    /// The file, as given.
    public var file: String
    /// The problems, in the order found.
    public var diagnostics: [Diagnostic]

    /// An error for `file`.
    public init(file: String, diagnostics: [Diagnostic]) {
        self.file = file
        self.diagnostics = diagnostics
    }

    public var description: String {
        let count = diagnostics.count == 1 ? "1 problem" : "\(diagnostics.count) problems"
        return "\(file): \(count)\n" + diagnostics.map { "  \(file): \($0)" }.joined(separator: "\n")
    }
}

/// Suggests the closest known name for a misspelt one.
enum Suggestion {
    /// `did you mean "x"?` when a candidate is close enough, else nil.
    static func hint(for word: String, among candidates: [String]) -> String? {
        guard let best = closest(to: word, among: candidates) else { return nil }
        return "did you mean \"\(best)\"?"
    }

    static func closest(to word: String, among candidates: [String]) -> String? {
        let lower = word.lowercased()
        let scored = candidates.map { ($0, distance(lower, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = max(2, word.count / 3)
        if best.1 <= limit { return best.0 }
        // A name that contains the word, or the part after the namespace (`mel` → `spectrum.mel`).
        return candidates.first { $0.lowercased().hasSuffix("." + lower) || $0.lowercased().contains(lower) && lower.count >= 3 }
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
