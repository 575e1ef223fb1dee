/// How a centred STFT pads the signal's ends by `fftSize / 2` samples.
public enum PadMode: String, Sendable, Hashable, CaseIterable {
    /// Zeros.
    case constant
    /// Mirror without repeating the edge sample (numpy `reflect`): `[a b c d]` → `c b | a b c d | c b`.
    /// Padding longer than the signal keeps reflecting, as numpy does; a one-sample signal repeats it.
    case reflect
}

/// What an STFT bin holds.
public enum SpectralOutput: String, Sendable, Hashable, CaseIterable {
    /// |X|.
    case magnitude
    /// |X|².
    case power
}

/// Short-time Fourier transform settings, with librosa's conventions.
public struct STFTConfiguration: Sendable, Hashable {
    /// FFT length in samples; bins = fftSize / 2 + 1.
    public var fftSize: Int
    /// Window length in samples (≤ fftSize); the window is zero-padded and centred in the FFT frame.
    public var windowLength: Int
    /// Hop between frames in samples.
    public var hopLength: Int
    /// Window function (periodic).
    public var window: WindowFunction
    /// If true, frame k is centred on sample k·hop (the signal is padded by fftSize/2 on each side).
    public var center: Bool
    /// Padding used when `center` is true.
    public var padMode: PadMode
    /// Magnitude or power.
    public var output: SpectralOutput

    /// Creates a configuration; defaults are librosa's pipeline settings for 16 kHz (512/400/160, Hann,
    /// centred, reflect) with power output.
    public init(
        fftSize: Int = 512, windowLength: Int? = nil, hopLength: Int? = nil, window: WindowFunction = .hann,
        center: Bool = true, padMode: PadMode = .reflect, output: SpectralOutput = .power
    ) {
        self.fftSize = fftSize
        self.windowLength = windowLength ?? fftSize
        self.hopLength = hopLength ?? max(1, fftSize / 4)
        self.window = window
        self.center = center
        self.padMode = padMode
        self.output = output
    }

    /// Number of FFT bins, fftSize / 2 + 1.
    public var bins: Int { fftSize / 2 + 1 }

    /// Checks every parameter; throws `invalidParameter` listing every problem found.
    public func validate() throws {
        var problems: [String] = []
        if fftSize < 2 { problems.append("fftSize must be at least 2 (got \(fftSize))") }
        if windowLength < 1 || windowLength > fftSize {
            problems.append("windowLength must be in 1...fftSize (got \(windowLength), fftSize \(fftSize))")
        }
        if hopLength < 1 { problems.append("hopLength must be at least 1 (got \(hopLength))") }
        if !problems.isEmpty {
            throw AudioError(.invalidParameter, reason: problems.joined(separator: "; "))
        }
    }

    /// Frames for `sampleCount` samples: 1 + (n + 2·(fftSize/2 if centred) − fftSize) / hop, or 0 if the
    /// (padded) signal is shorter than one FFT frame.
    public func frameCount(sampleCount: Int) -> Int {
        let padded = sampleCount + (center ? 2 * (fftSize / 2) : 0)
        guard sampleCount > 0, padded >= fftSize else { return 0 }
        return 1 + (padded - fftSize) / hopLength
    }
}

/// An STFT with its FFTW plan and window prepared once; `compute` can be called from many threads.
///
/// Signals shorter than one window: with `center == true` any non-empty signal gives at least one frame
/// (it is padded, as librosa does); with `center == false` a signal shorter than `fftSize` throws
/// `tooShort`. An empty signal always throws `tooShort`.
public struct ShortTimeFourierTransform: Sendable {
    /// The settings.
    public let configuration: STFTConfiguration
    let plan: RealFFTPlan
    /// The window, zero-padded to fftSize.
    let window: [Float]
    /// First and one-past-last non-zero index of `window`.
    let windowStart: Int
    let windowEnd: Int

    /// Prepares the plan and window; throws `invalidParameter` for bad settings.
    public init(_ configuration: STFTConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        plan = try RealFFTPlan.forSize(configuration.fftSize)
        window = configuration.window.padded(length: configuration.windowLength, fftSize: configuration.fftSize)
        windowStart = (configuration.fftSize - configuration.windowLength) / 2
        windowEnd = windowStart + configuration.windowLength
    }

    /// The spectrogram (frames × bins) of mono `samples`.
    public func compute(_ samples: [Float]) throws -> Spectrogram {
        let workspace = STFTWorkspace(fftSize: configuration.fftSize)
        return try compute(samples, workspace: workspace)
    }

    /// As `compute(_:)`, reusing caller-owned scratch buffers (no allocation but the output).
    func compute(_ samples: [Float], workspace: STFTWorkspace) throws -> Spectrogram {
        let frames = try checkedFrameCount(samples.count)
        let bins = configuration.bins
        var result = [Float](repeating: 0, count: frames * bins)
        result.withUnsafeMutableBufferPointer { out in
            forEachFrameSpectrum(samples, frames: frames, workspace: workspace) { frame, spectrum in
                let row = out.baseAddress! + frame * bins
                switch configuration.output {
                case .power:
                    for k in 0..<bins {
                        let re = spectrum[2 * k], im = spectrum[2 * k + 1]
                        row[k] = re * re + im * im
                    }
                case .magnitude:
                    for k in 0..<bins {
                        let re = spectrum[2 * k], im = spectrum[2 * k + 1]
                        row[k] = (re * re + im * im).squareRoot()
                    }
                }
            }
        }
        return Spectrogram(frames: frames, bins: bins, values: result)
    }

    func checkedFrameCount(_ sampleCount: Int) throws -> Int {
        guard sampleCount > 0 else { throw AudioError(.tooShort, reason: "the signal is empty") }
        let frames = configuration.frameCount(sampleCount: sampleCount)
        guard frames > 0 else {
            throw AudioError(
                .tooShort,
                reason: "\(sampleCount) samples are fewer than one \(configuration.fftSize)-sample FFT frame without centring")
        }
        return frames
    }

    /// Pads the signal into the workspace, then for each frame windows it, runs the FFT and calls
    /// `body(frame, interleavedComplexSpectrum)`.
    func forEachFrameSpectrum(
        _ samples: [Float], frames: Int, workspace: STFTWorkspace,
        _ body: (Int, UnsafePointer<Float>) -> Void
    ) {
        let fft = configuration.fftSize
        let hop = configuration.hopLength
        let pad = configuration.center ? fft / 2 : 0
        let padded = workspace.paddedSignal(samples: samples, pad: pad, mode: configuration.padMode)
        let input = workspace.fft.input
        let output = UnsafePointer(workspace.fft.output)
        let start = windowStart, end = windowEnd
        // Outside [start, end) the window is zero; those input slots stay zero (FFTW preserves input).
        for i in 0..<fft where i < start || i >= end { input[i] = 0 }
        window.withUnsafeBufferPointer { w in
            for frame in 0..<frames {
                let source = padded + frame * hop
                for i in start..<end { input[i] = source[i] * w[i] }
                plan.execute(workspace.fft)
                body(frame, output)
            }
        }
    }
}

/// Scratch memory for one thread's STFTs: the FFTW buffers and a growable padded-signal buffer.
final class STFTWorkspace {
    let fft: FFTWorkspace
    private var padded: UnsafeMutablePointer<Float>
    private var capacity: Int

    init(fftSize: Int) {
        fft = FFTWorkspace(size: fftSize)
        capacity = 0
        padded = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    }

    deinit { padded.deallocate() }

    /// Copies `samples` into the internal buffer with `pad` samples of padding on each side.
    func paddedSignal(samples: [Float], pad: Int, mode: PadMode) -> UnsafeMutablePointer<Float> {
        let n = samples.count
        let total = n + 2 * pad
        if total > capacity {
            padded.deallocate()
            capacity = max(total, capacity * 3 / 2)
            padded = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        }
        samples.withUnsafeBufferPointer { s in
            (padded + pad).update(from: s.baseAddress!, count: n)
            switch mode {
            case .constant:
                padded.update(repeating: 0, count: pad)
                (padded + pad + n).update(repeating: 0, count: pad)
            case .reflect:
                for i in 0..<pad {
                    padded[i] = s[Self.reflectIndex(i - pad, count: n)]
                    padded[pad + n + i] = s[Self.reflectIndex(n + i, count: n)]
                }
            }
        }
        return padded
    }

    /// numpy `reflect` index for a position outside 0..<count (period 2·(count − 1)).
    static func reflectIndex(_ j: Int, count: Int) -> Int {
        if count == 1 { return 0 }
        let period = 2 * (count - 1)
        var m = j % period
        if m < 0 { m += period }
        return m < count ? m : period - m
    }
}
