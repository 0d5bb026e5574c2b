#!/usr/bin/env bash
# Installs what building and testing Logbook needs on a fresh Debian machine, skipping what is there.
# Rust (cargo) is expected on the machine; crates come from Cargo.lock.
set -euo pipefail

packages=(build-essential pkg-config ca-certificates procps)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo is not installed; install Rust from https://rustup.rs" >&2; exit 1; }
cargo fetch --locked -q
