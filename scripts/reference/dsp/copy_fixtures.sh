#!/usr/bin/env bash
# Copies the reference vectors EmoDSPTests uses from ../shared/reference/vectors into the test fixtures
# and checks them against the sha256 sums recorded in Tests/EmoDSPTests/Fixtures/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
src="${1:-$root/../shared/reference/vectors}"
dst="$root/Tests/EmoDSPTests/Fixtures"
for f in signal_16k signal_48k stft_mag_reflect stft_mag_constant mel_fb_slaney_norm_slaney mel_fb_htk_norm_none \
  mel_power_slaney_reflect logmel_slaney_reflect logmel_htk_nonorm_reflect resampled_16k_libsamplerate_sinc_best \
  resampled_16k_soxr_hq window_hann400_in512 torchaudio_melspec_slaney_reflect; do
  install -m 644 "$src/$f.npy" "$dst/$f.npy"
done
cd "$dst" && sed -n '/^sha256:/,$p' README.md | grep '\.npy$' | sha256sum -c --quiet && echo "fixtures OK"
