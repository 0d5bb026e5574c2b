#!/usr/bin/env bash
# Installs what building, running and testing Logbook needs on a fresh Debian 12 machine, skipping
# what is already there: Debian packages (apt-get), the UI's npm packages (from ui/package-lock.json),
# and the crates (from Cargo.lock). Rust (cargo) and Node.js >= 20 are expected on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config ca-certificates procps curl
  # the desktop app (Tauri 2 on WebKitGTK 4.1)
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev libssl-dev
  # running the window without a display, and driving it in tests
  xvfb xauth webkit2gtk-driver imagemagick
  # the browser end-to-end tests (driven by playwright-core; no browser download)
  chromium
  # team mode's tests: the server programs (initdb, pg_ctl) of the throwaway cluster the tests start
  # in a temporary directory (crates/logbook-cli/tests/it/harness_postgres.rs)
  postgresql
)

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
command -v npm >/dev/null || { echo "setup: Node.js 20 or newer (with npm) is needed for the UI" >&2; exit 1; }

# The UI: packages exactly as locked, then the build that `logbook serve` and the app embed.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
# The Tauri CLI of `make package` (its bundler), exactly as locked.
if [ ! -d src-tauri/package/node_modules ] || [ src-tauri/package/package-lock.json -nt src-tauri/package/node_modules/.package-lock.json ]; then
  (cd src-tauri/package && npm ci --no-audit --no-fund)
fi
cargo fetch --locked -q
