#!/usr/bin/env bash
# README's main command: machine set-up (idempotent), build, then `sralign demo`: a tiny
# SRResNet trained three times on the bundled photos (data/train) with the Real-ESRGAN
# degradations — no regulariser, channel dropout, the paper's feature alignment — evaluated on
# the eight test degradations of Kong et al. (data/test), and the comparison report in
# demo_out/report.md. Running it again reuses finished runs and resumes interrupted ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --bins
./target/release/sralign info
./target/release/sralign demo "$@"
