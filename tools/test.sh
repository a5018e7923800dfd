#!/usr/bin/env bash
# README's test command: machine set-up (idempotent), then the whole test suite on the
# adapter wgpu finds (lavapipe on a machine without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --bins
./target/release/sralign info
cargo test --release --no-fail-fast -- --test-threads="${SRALIGN_TEST_THREADS:-2}"
