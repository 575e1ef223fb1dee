import Foundation

/// How log-Mel features are standardised at the end of extraction.
public enum FeatureNormalisation: Sendable, Hashable {
    /// Leave the dB values as they are.
    case none
    /// Subtract the utterance's mean and divide by its population std plus `epsilon` (over the whole matrix).
    case utterance(epsilon: Float)
}

/// Every setting of the log-Mel front end. Defaults are the reference pipeline's: 16 kHz, FFT 512,
/// window 400 (periodic Hann, centred in the frame), hop 160, centred with reflect padding, 128 Slaney
/// bands with Slaney normalisation over 0–8000 Hz, dB re 1 with amin 1e-10, no topDb, no normalisation.
public struct LogMelConfiguration: Sendable, Hashable {
    public var sampleRate: Int
    public var fftSize: Int
    public var windowLength: Int
    public var hopLength: Int
    public var window: WindowFunction
    public var center: Bool
    public var padMode: PadMode
    public var melBands: Int
    public var fmin: Double
    /// Upper edge in Hz; nil means sampleRate / 2.
    public var fmax: Double?
    public var scale: MelScale
    public var melNormalization: MelNormalization
    public var amin: Float
    public var topDb: Float?
    public var reference: DecibelReference
    public var normalisation: FeatureNormalisation

    /// Creates a configuration (see the type's summary for the defaults).
    public init(
        sampleRate: Int = 16_000, fftSize: Int = 512, windowLength: Int = 400, hopLength: Int = 160,
        window: WindowFunction = .hann, center: Bool = true, padMode: PadMode = .reflect, melBands: Int = 128,
        fmin: Double = 0, fmax: Double? = nil, scale: MelScale = .slaney, melNormalization: MelNormalization = .slaney,
        amin: Float = 1e-10, topDb: Float? = nil, reference: DecibelReference = .value(1),
        normalisation: FeatureNormalisation = .none
    ) {
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.windowLength = windowLength
        self.hopLength = hopLength
        self.window = window
        self.center = center
        self.padMode = padMode
        self.melBands = melBands
        self.fmin = fmin
        self.fmax = fmax
        self.scale = scale
        self.melNormalization = melNormalization
        self.amin = amin
        self.topDb = topDb
        self.reference = reference
        self.normalisation = normalisation
    }

    /// The STFT part (power output).
    public var stft: STFTConfiguration {
        STFTConfiguration(
            fftSize: fftSize, windowLength: windowLength, hopLength: hopLength, window: window, center: center,
            padMode: padMode, output: .power)
    }
}

/// The fused fast path: mono samples → power STFT → sparse Mel → dB → optional standardisation, in one
/// pass per frame, with frames × melBands output.
///
/// Everything that can be prepared is prepared in `init` (FFTW plan, window, filterbank). Scratch memory
/// comes from a small pool: a call takes a workspace, uses it and puts it back, so concurrent callers each
/// get their own and the steady state allocates nothing but the output. Safe to call from many threads.
/// Results equal `ShortTimeFourierTransform` → `MelFilterbank.apply` → `PowerToDecibels` to float rounding.
public struct LogMelExtractor: Sendable {
    /// The settings.
    public let configuration: LogMelConfiguration
    let stft: ShortTimeFourierTransform
    /// The Mel filterbank used.
    public let filterbank: MelFilterbank
    let decibels: PowerToDecibels
    private let pool: WorkspacePool

    /// Prepares plan, window and filterbank; throws `invalidParameter` for bad settings.
    public init(_ configuration: LogMelConfiguration = LogMelConfiguration()) throws {
        self.configuration = configuration
        stft = try ShortTimeFourierTransform(configuration.stft)
        filterbank = try MelFilterbank(
            sampleRate: configuration.sampleRate, fftSize: configuration.fftSize, melBands: configuration.melBands,
            fmin: configuration.fmin, fmax: configuration.fmax, scale: configuration.scale,
            normalization: configuration.melNormalization)
        decibels = try PowerToDecibels(
            reference: configuration.reference, amin: configuration.amin, topDb: configuration.topDb)
        pool = WorkspacePool(fftSize: configuration.fftSize)
    }

    /// Frames produced for `sampleCount` samples.
    public func frameCount(sampleCount: Int) -> Int {
        configuration.stft.frameCount(sampleCount: sampleCount)
    }

    /// Log-Mel features (frames × melBands) of mono samples at `configuration.sampleRate`.
    /// Throws `tooShort` for an empty signal (or one shorter than a frame when not centred).
    public func extract(_ samples: [Float]) throws -> Spectrogram {
        let frames = try stft.checkedFrameCount(samples.count)
        let bands = configuration.melBands
        let bins = configuration.fftSize / 2 + 1
        let workspace = pool.take()
        defer { pool.give(workspace) }
        var output = [Float](repeating: 0, count: frames * bands)
        output.withUnsafeMutableBufferPointer { out in
            // Power spectra of 8 consecutive frames side by side (bin-major, one frame per lane), then the
            // filterbank on all 8 at once.
            let block = MelFilterbank.blockFrames
            let lanes = workspace.powerBlock
            stft.forEachFrameSpectrum(samples, frames: frames, workspace: workspace.stft) { frame, spectrum in
                let lane = frame % block
                for k in 0..<bins {
                    let re = spectrum[2 * k], im = spectrum[2 * k + 1]
                    lanes[k * block + lane] = re * re + im * im
                }
                if lane == block - 1 || frame == frames - 1 {
                    filterbank.apply(block: lanes, lanes: lane + 1, into: out.baseAddress! + (frame - lane) * bands, rowStride: bands)
                }
            }
            decibels.apply(out)
            if case .utterance(let epsilon) = configuration.normalisation {
                Normalisation.normaliseUtterance(out, epsilon: epsilon)
            }
        }
        return Spectrogram(frames: frames, bins: bands, values: output)
    }

    /// Resamples `buffer` to `configuration.sampleRate` if needed, then extracts.
    public func extract(_ buffer: AudioBuffer, resampler: Resampler = Resampler()) throws -> Spectrogram {
        let samples = try resampler.resample(buffer.samples, from: buffer.sampleRate, to: configuration.sampleRate)
        return try extract(samples)
    }
}

/// Scratch memory for one extraction at a time.
final class ExtractorWorkspace {
    let stft: STFTWorkspace
    /// Power spectra of `MelFilterbank.blockFrames` (8) frames, bin-major: `powerBlock[8k + lane]`; 32-byte aligned.
    let powerBlock: UnsafeMutablePointer<Float>

    init(fftSize: Int) {
        stft = STFTWorkspace(fftSize: fftSize)
        let count = (fftSize / 2 + 1) * MelFilterbank.blockFrames
        powerBlock = UnsafeMutableRawPointer.allocate(byteCount: 4 * count, alignment: 32).bindMemory(to: Float.self, capacity: count)
        powerBlock.initialize(repeating: 0, count: count)
    }

    deinit { powerBlock.deallocate() }
}

/// A lock-protected stack of workspaces; holds at most as many as were ever in use at once.
final class WorkspacePool: @unchecked Sendable {
    // `free` is only touched under `lock`; a workspace is used by one caller between take and give.
    private let lock = NSLock()
    private var free: [ExtractorWorkspace] = []
    private let fftSize: Int

    init(fftSize: Int) {
        self.fftSize = fftSize
    }

    func take() -> ExtractorWorkspace {
        lock.lock()
        let workspace = free.popLast()
        lock.unlock()
        return workspace ?? ExtractorWorkspace(fftSize: fftSize)
    }

    func give(_ workspace: ExtractorWorkspace) {
        lock.lock()
        free.append(workspace)
        lock.unlock()
    }
}
