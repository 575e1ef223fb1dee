#!/usr/bin/env bash
# Builds the example plugins in plugins/, runs their tests, and runs a pipeline through each with
# the emohr built here; fails if anything fails.
#
#   scripts/build-plugins.sh [debug|release]     (default: debug, which reuses scripts/test.sh's build)
#
# Environment: SCRATCH=<folder> builds the main package there instead of .build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
config=${1:-debug}
case "$config" in debug|release) ;; *) echo "usage: $0 [debug|release]" >&2; exit 64 ;; esac
scratch=(--scratch-path "${SCRATCH:-.build}")

step() { printf '\n== %s\n' "$*"; }

step "emohr ($config)"
swift build -c "$config" "${scratch[@]}" --product emohr 2>&1 | grep -E 'error|warning: .*(Sources|plugins)/|Compiling|Build' | grep -v '^\[' || true
emohr="$(swift build -c "$config" "${scratch[@]}" --show-bin-path)/emohr"
[ -x "$emohr" ] || { echo "emohr was not built" >&2; exit 1; }

for plugin in mfcc se-block; do
  step "plugins/$plugin ($config)"
  log=$(mktemp)
  if ! (cd "plugins/$plugin" && swift build -c "$config" >"$log" 2>&1); then tail -n 40 "$log"; exit 1; fi
  if grep -E '^/.*/plugins/.*warning:' "$log" | grep -v '/.build'; then echo "warnings in plugins/$plugin (above): fix them" >&2; exit 1; fi
  tail -n 1 "$log"
done
mfcc="plugins/mfcc/.build/$config/libEmohrMFCC.so"
se="plugins/se-block/.build/$config/libEmohrSEBlock.so"

step "plugins/mfcc tests (against librosa)"
log=$(mktemp)
if ! (cd plugins/mfcc && swift test >"$log" 2>&1); then tail -n 40 "$log"; echo "plugins/mfcc tests failed" >&2; exit 1; fi
grep -E '✔|✘' "$log" || true

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

step "emohr nodes lists plugin nodes (--plugin) and loads EMOHR_PLUGIN_PATH"
"$emohr" nodes --plugin "$mfcc" | grep '^features.mfcc'
EMOHR_PLUGIN_PATH="$(dirname "$se")" "$emohr" nodes model.train --plugin "$mfcc" >/dev/null

step "a plugin registering an existing name is refused"
cp "$mfcc" "$out/libEmohrMFCCCopy.so"
if message=$("$emohr" nodes --plugin "$mfcc" --plugin "$out/libEmohrMFCCCopy.so" 2>&1); then
  echo "loading the same node type twice was accepted" >&2; exit 1
fi
echo "$message" | grep -q 'features.mfcc is already registered' || { echo "unexpected message: $message" >&2; exit 1; }
echo "$message"

step "pipelines/plugins/mfcc-features.json"
start=$(date +%s.%N)
"$emohr" run pipelines/plugins/mfcc-features.json --plugin "$mfcc" --quiet \
  --arg data="$out/data" --arg out="$out/mfcc"
printf 'took %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
count=$(wc -l <"$out/mfcc/manifest.jsonl")
[ "$count" -eq 8 ] || { echo "expected 8 feature files, got $count" >&2; exit 1; }
grep -q '"shape":\[26,' "$out/mfcc/manifest.jsonl" || { echo "MFCC features are not 26 wide (13 + 13 deltas)" >&2; exit 1; }

step "pipelines/plugins/se-block-quickstart.json"
start=$(date +%s.%N)
EMOHR_PLUGIN_PATH="$se" "$emohr" run pipelines/plugins/se-block-quickstart.json --quiet \
  --arg data="$out/data-se" --arg out="$out/se"
printf 'took %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
[ -f "$out/se/report.json" ] || { echo "no report from the se-block pipeline" >&2; exit 1; }
model=$(find "$out/se" -name model.safetensors | head -n 1)
[ -n "$model" ] && grep -a -q 'se.fc1.weight' "$model" || { echo "the trained model has no se-basic tensors" >&2; exit 1; }

step "plugins OK"
