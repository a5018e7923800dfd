#!/usr/bin/env bash
# README's main command: machine set-up (idempotent), build, adapter info + engine self-test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --bins
./target/release/sralign info --self-test
