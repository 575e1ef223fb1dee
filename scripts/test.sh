#!/usr/bin/env bash
# The project's test command: installs what is missing, builds with no warnings allowed in the
# project's own code, and runs every test (slow ones are opt-in: EMOHR_SLOW_TESTS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E 'error:|warning:|Compiling|Build complete' | grep -v '^\[' || true
if grep -E '^/.*/(Sources|Tests|plugins)/.*warning:' "$log" | grep -v '/.build' ; then
  echo "warnings in the project's code (above): fix them" >&2; exit 1
fi
grep -q 'Build complete' "$log" || { tail -n 30 "$log"; exit 1; }
swift test --skip-build
