#!/usr/bin/env bash
# README's main command: machine set-up (idempotent), build, then a tour of what sralign does
# today on the bundled images: adapter info + engine self-test, the eight test degradations of
# Kong et al., a freshly initialised (untrained) tiny SRResNet upscaling one degraded image, and
# PSNR/SSIM of the result. Training arrives with the training issue; until then the network
# is untrained and its output is close to its bilinear skip connection.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --bins
bin=./target/release/sralign
out=out/demo
mkdir -p "$out"
$bin info --self-test
echo
$bin degrade --input ../shared/data/test --output "$out/test_x4" --scale 4 --force
echo
$bin export --arch srresnet --config tools/configs/srresnet_tiny_x4.toml --seed 0 --force --output "$out/srresnet_tiny_untrained.safetensors"
$bin upscale --arch srresnet --config tools/configs/srresnet_tiny_x4.toml \
  --weights "$out/srresnet_tiny_untrained.safetensors" \
  --input "$out/test_x4/clean/skimage_chelsea.png" --output "$out/skimage_chelsea_x4.png" --tile 64 --tile-overlap 8 --force
echo
echo "PSNR/SSIM of the untrained tiny SRResNet's x4 output against the HR image:"
$bin metrics --ref "$out/test_x4/HR/skimage_chelsea.png" --test "$out/skimage_chelsea_x4.png" --crop-border 4
echo
echo "outputs in $out/"
