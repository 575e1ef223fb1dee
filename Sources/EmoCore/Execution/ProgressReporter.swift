import EmoJSON
import Foundation

/// Shows progress (items done/total, rate, ETA) on standard error — a redrawn line on a terminal,
/// plain lines otherwise — and writes the same events as JSON lines to a file when asked.
/// Thread-safe.
public final class ProgressReporter: @unchecked Sendable {
    /// Where human-readable output goes.
    public enum Display: Sendable {
        /// A redrawn status line (for terminals).
        case terminal
        /// A plain line every few seconds and at the end (for logs and CI).
        case lines
        /// Nothing.
        case silent
    }

    private let display: Display
    private let events: FileHandle?
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var lineOpen = false
    private let start = Date()

    /// A reporter; `display` defaults to a status line when standard error is a terminal.
    public convenience init(display: Display? = nil, eventsPath: String? = nil) throws {
        var events: FileHandle?
        if let eventsPath {
            guard FileManager.default.createFile(atPath: eventsPath, contents: nil),
                let handle = FileHandle(forWritingAtPath: eventsPath)
            else { throw ItemError("cannot write the events file \(eventsPath)", code: "unwritable") }
            events = handle
        }
        self.init(display: display ?? (isatty(2) != 0 ? .terminal : .lines), events: events)
    }

    /// A silent reporter with no events file.
    public convenience init() { self.init(display: .silent, events: nil) }

    private init(display: Display, events: FileHandle?) {
        self.display = display
        self.events = events
    }

    /// Starts a task of `total` items (nil when unknown).
    public func task(_ name: String, total: Int?) -> ProgressTask {
        event("taskStarted", ["task": .string(name), "total": total.map { .int($0) } ?? .null])
        return ProgressTask(reporter: self, name: name, total: total)
    }

    /// A line for a person (kept apart from the status line).
    public func message(_ text: String) {
        lock.withLock {
            guard display != .silent else { return }
            if lineOpen {
                FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
                lineOpen = false
            }
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Writes one JSON-lines event `{"event": name, "time": seconds since start, …fields}`.
    public func event(_ name: String, _ fields: JSONObject) {
        guard let events else { return }
        var object: JSONObject = ["event": .string(name), "time": .double(round(elapsed * 1000) / 1000)]
        for (key, value) in fields { object[key] = value }
        let line = JSON.object(object).serialized(pretty: false) + "\n"
        lock.withLock { events.write(Data(line.utf8)) }
    }

    /// Seconds since the reporter started.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    fileprivate func draw(_ task: ProgressTask, done: Int, final: Bool) {
        let now = Date()
        let rate = Double(done) / max(now.timeIntervalSince(task.started), 1e-6)
        var fields: JSONObject = ["task": .string(task.name), "done": .int(done),
                                  "rate": .double((rate * 100).rounded() / 100)]
        if let total = task.total {
            fields["total"] = .int(total)
            if rate > 0 { fields["eta"] = .double((Double(max(total - done, 0)) / rate).rounded()) }
        }
        lock.lock()
        let interval: Double = display == .terminal ? 0.1 : 5
        let due = final || now.timeIntervalSince(lastDraw) >= interval
        if due { lastDraw = now }
        lock.unlock()
        guard due else { return }
        event(final ? "taskFinished" : "progress", fields)
        let text = Self.statusText(task: task.name, done: done, total: task.total, rate: rate)
        lock.withLock {
            switch display {
            case .terminal:
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + (final ? "\n" : "")).utf8))
                lineOpen = !final
            case .lines:
                FileHandle.standardError.write(Data((text + "\n").utf8))
            case .silent:
                break
            }
        }
    }

    static func statusText(task: String, done: Int, total: Int?, rate: Double) -> String {
        var text = "\(task): \(done)"
        if let total { text += "/\(total)" }
        text += String(format: "  %.1f items/s", rate)
        if let total, rate > 0, done < total {
            let eta = Int((Double(total - done) / rate).rounded())
            text += String(format: "  ETA %d:%02d", eta / 60, eta % 60)
        }
        return text
    }
}

/// One task's progress counter. Thread-safe.
public final class ProgressTask: @unchecked Sendable {
    fileprivate let name: String
    fileprivate let total: Int?
    fileprivate let started = Date()
    private let reporter: ProgressReporter
    private let lock = NSLock()
    private var done = 0
    private var finished = false

    fileprivate init(reporter: ProgressReporter, name: String, total: Int?) {
        self.reporter = reporter
        self.name = name
        self.total = total
    }

    /// Counts `count` more items done.
    public func advance(by count: Int = 1) {
        let now = lock.withLock {
            done += count
            return done
        }
        reporter.draw(self, done: now, final: false)
    }

    /// Marks the task finished (idempotent).
    public func finish() {
        let (now, already) = lock.withLock {
            defer { finished = true }
            return (done, finished)
        }
        if !already { reporter.draw(self, done: now, final: true) }
    }
}
