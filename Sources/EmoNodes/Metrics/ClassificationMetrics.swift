import EmoJSON
import Foundation

/// Classification metrics from true and predicted class indices.
///
/// - WA (weighted accuracy): correct / total — what most papers call accuracy.
/// - UA (unweighted accuracy): the mean of per-class recall over classes present in the truth.
/// - macro-F1: the mean of per-class F1 over classes present in the truth or the predictions.
/// - confusion[t][p]: how many items of true class t were predicted as p.
public struct ClassificationMetrics: Sendable, Equatable {
    /// Class names in index order.
    public var labels: [String]
    /// confusion[truth][predicted] counts.
    public var confusion: [[Int]]

    /// Metrics from pairs of (truth, predicted) indices into `labels`.
    public init(labels: [String], truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count, "truth and predictions differ in length")
        self.labels = labels
        var matrix = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predicted) where labels.indices.contains(t) && labels.indices.contains(p) { matrix[t][p] += 1 }
        confusion = matrix
    }

    /// Number of items.
    public var total: Int { confusion.joined().reduce(0, +) }
    /// Items per true class.
    public var support: [Int] { confusion.map { $0.reduce(0, +) } }
    /// Correctly classified items.
    public var correct: Int { labels.indices.reduce(0) { $0 + confusion[$1][$1] } }

    /// Weighted accuracy: correct / total (0 for no items).
    public var weightedAccuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Recall per class (nil where the class has no true items).
    public var recall: [Double?] {
        labels.indices.map { support[$0] == 0 ? nil : Double(confusion[$0][$0]) / Double(support[$0]) }
    }

    /// Precision per class (nil where nothing was predicted as the class).
    public var precision: [Double?] {
        labels.indices.map { column in
            let predicted = labels.indices.reduce(0) { $0 + confusion[$1][column] }
            return predicted == 0 ? nil : Double(confusion[column][column]) / Double(predicted)
        }
    }

    /// Unweighted accuracy: mean recall over classes with true items.
    public var unweightedAccuracy: Double {
        let values = recall.compactMap { $0 }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// F1 per class (0 where precision or recall is missing or both are 0).
    public var f1: [Double] {
        labels.indices.map { index in
            guard let p = precision[index], let r = recall[index], p + r > 0 else { return 0 }
            return 2 * p * r / (p + r)
        }
    }

    /// Macro-F1 over classes present in the truth or the predictions.
    public var macroF1: Double {
        let present = labels.indices.filter { support[$0] > 0 || precision[$0] != nil }
        return present.isEmpty ? 0 : present.reduce(0) { $0 + f1[$1] } / Double(present.count)
    }

    /// As JSON: WA, UA, macro-F1, per-class precision/recall/F1/support, confusion matrix.
    public var json: JSON {
        func number(_ value: Double?) -> JSON { value.map { .double(($0 * 10000).rounded() / 10000) } ?? .null }
        var perClass = JSONObject()
        for (index, label) in labels.enumerated() {
            perClass[label] = ["precision": number(precision[index]), "recall": number(recall[index]),
                               "f1": number(f1[index]), "support": .int(support[index])]
        }
        return [
            "items": .int(total), "weightedAccuracy": number(weightedAccuracy), "unweightedAccuracy": number(unweightedAccuracy),
            "macroF1": number(macroF1), "perClass": .object(perClass), "labels": .array(labels.map(JSON.string)),
            "confusion": .array(confusion.map { .array($0.map(JSON.int)) }),
        ]
    }
}

/// Mean and (population) standard deviation of per-fold values.
public func meanAndStandardDeviation(_ values: [Double]) -> (mean: Double, std: Double) {
    guard !values.isEmpty else { return (0, 0) }
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return (mean, variance.squareRoot())
}
