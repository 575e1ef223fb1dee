/// A structured error from the audio front end: what went wrong, with which file, and why.
///
/// The description is written for the person who reads it, for example
/// `unsupportedFormat: /data/a.wav: File contains data in an unknown format.`
public struct AudioError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem this is; callers branch on this (skip, quarantine, fail).
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The path does not exist.
        case fileMissing
        /// The path exists but cannot be read (a directory, no permission, an I/O error).
        case unreadable
        /// The file has no audio frames (zero bytes, or a header without data).
        case empty
        /// The content is not an audio format libsndfile recognises, or not a supported encoding.
        case unsupportedFormat
        /// The file ends before the data its header announces.
        case truncated
        /// The signal is shorter than an operation needs (for example one STFT frame without centring).
        case tooShort
        /// The signal is silent (see `isSilent(_:thresholdDB:)`).
        case silent
        /// A parameter is out of range or inconsistent with another one.
        case invalidParameter
        /// A C library reported a failure that is not the caller's fault.
        case libraryFailure
        /// Writing a file failed.
        case writeFailed
    }

    /// The kind of problem.
    public var code: Code
    /// The file concerned, if any.
    public var path: String?
    /// A human-readable reason.
    public var reason: String

    /// Creates an error with a code, an optional path and a reason.
    public init(_ code: Code, path: String? = nil, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String {
        if let path { return "\(code.rawValue): \(path): \(reason)" }
        return "\(code.rawValue): \(reason)"
    }
}
