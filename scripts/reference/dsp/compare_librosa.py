"""Compare EmoDSP's log-Mel features with librosa's on real files.
Usage: compare_librosa.py SWIFT_NPY_DIR WAV...   (needs librosa 0.11 + python-soxr, e.g. the .venv-ref)
The Swift side writes one (128, T) float32 .npy per WAV named like the WAV, made with the reference pipeline
(decode, soxr HQ to 16 kHz, STFT 512/400/160 Hann centred reflect, 128 Slaney Mel 0-8 kHz, 10*log10(max(P,1e-10)),
per-utterance (L - mean)/(std + 1e-8)). This script recomputes librosa's features (the recipe of
../shared/reference/scripts/feat_librosa.py) and prints the largest differences, in normalised units and in dB."""
import os, sys
import numpy as np
import librosa

SR, N_FFT, WIN, HOP, N_MELS, FMIN, FMAX, AMIN, EPS = 16000, 512, 400, 160, 128, 0.0, 8000.0, 1e-10, 1e-8
worst_norm = worst_db = 0.0
for path in sys.argv[2:]:
    y, _ = librosa.load(path, sr=SR, mono=True, res_type="soxr_hq", dtype=np.float32)
    P = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hann",
                                       center=True, pad_mode="reflect", power=2.0, n_mels=N_MELS, fmin=FMIN,
                                       fmax=FMAX, htk=False, norm="slaney")
    L = 10.0 * np.log10(np.maximum(P, AMIN))
    N = (L - L.mean()) / (L.std() + EPS)
    S = np.load(os.path.join(sys.argv[1], os.path.basename(path)[:-4] + ".npy"))
    if S.shape != N.shape:
        print(f"{path}: shape {S.shape} vs librosa {N.shape}"); continue
    d = float(np.abs(S - N).max()); worst_norm = max(worst_norm, d)
    worst_db = max(worst_db, d * float(L.std()))
print(f"{len(sys.argv) - 2} files: max |swift - librosa| = {worst_norm:.3g} (normalised units), about {worst_db:.3g} dB")
