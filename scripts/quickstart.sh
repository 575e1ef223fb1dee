#!/usr/bin/env bash
# The quick start: installs what is missing, builds emohr (release), and runs pipelines/quickstart.json
# on the built-in synthetic corpus: render → split by speaker → decode → log-Mel → augment → train a
# small HRNet → metrics. Output: quickstart-out/ (metrics.md, confusion.svg, loss.svg, accuracy.svg,
# report.json, checkpoints/). Takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh
swift build -c release --product emohr 2>&1 | grep -E 'error|warning: .*Sources|Compiling|Build' | grep -v '^\[' || true
.build/release/emohr run pipelines/quickstart.json "$@"
echo
echo "Report: quickstart-out/metrics.md (pictures: confusion.svg, loss.svg, accuracy.svg); model: quickstart-out/checkpoints/fold-0/model.safetensors"
