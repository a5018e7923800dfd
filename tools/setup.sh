#!/usr/bin/env bash
# Idempotent machine set-up for sralign on Debian/Ubuntu:
# the Vulkan loader and Mesa's software Vulkan driver (lavapipe) when no Vulkan ICD is present,
# Mesa 25 from bookworm-backports on Debian 12 (4-5x faster compute than Mesa 22.3), a Rust
# toolchain check, and the LPIPS weights (tools/setup_lpips.sh). Safe to run many times; does
# nothing when everything is already there.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then echo sudo; else
      log "not root and no sudo: install mesa-vulkan-drivers and libvulkan1 by hand"; exit 1
    fi
  fi
}

have_icd() {
  # A Vulkan driver manifest for lavapipe or any other driver, plus the loader.
  ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'
}

mesa_version() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true
}

if ! command -v cargo >/dev/null 2>&1; then
  log "cargo not found: install a Rust toolchain >= 1.87 (https://rustup.rs) and run again"; exit 1
fi
rv=$(rustc --version | awk '{print $2}')
if ! printf '1.87.0\n%s\n' "$rv" | sort -V -C; then
  log "rustc $rv is older than 1.87 (wgpu 30 needs it): update with 'rustup update'"; exit 1
fi

# LPIPS weights (`sralign metrics --lpips`): fetched once; a failure here is reported, and the
# LPIPS tests then fail (unless SRALIGN_SKIP_LPIPS=1) rather than skip silently.
if ! bash "$(dirname "$0")/setup_lpips.sh"; then
  log "WARNING: LPIPS weights not installed; LPIPS will be reported as unavailable"
fi

SUDO=$(need_root)
if ! command -v apt-get >/dev/null 2>&1; then
  if have_icd; then log "Vulkan driver present (non-apt system)"; exit 0; fi
  log "no apt-get and no Vulkan driver: install your distribution's Mesa Vulkan drivers (lavapipe)"; exit 1
fi

. /etc/os-release 2>/dev/null || true
want_backports=0
if [ "${ID:-}" = "debian" ] && [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  want_backports=1
fi

ver=$(mesa_version)
if have_icd && { [ "$want_backports" = 0 ] || [[ "$ver" == *bpo* ]] || dpkg --compare-versions "${ver:-0}" ge 25; }; then
  log "Vulkan loader and driver present (mesa-vulkan-drivers ${ver:-n/a})"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$want_backports" = 1 ]; then
  # Derive the mirror from the machine's own apt sources rather than naming one here.
  mirror=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  fi
  if [ -n "$mirror" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding bookworm-backports from $mirror"
    echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/sralign-backports.list >/dev/null
  fi
  $SUDO apt-get update -qq
  log "installing Mesa's Vulkan driver from bookworm-backports"
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
else
  $SUDO apt-get update -qq
  log "installing Mesa's Vulkan driver"
  $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
fi
log "done: mesa-vulkan-drivers $(mesa_version)"
