#!/usr/bin/env bash
# Installs the Debian -dev packages emohr links against (as root, or through sudo when present).
set -euo pipefail
packages="libsndfile1-dev libsamplerate0-dev libsoxr-dev libfftw3-dev libopenblas-dev libjson-c-dev pkg-config"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing:$missing" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
