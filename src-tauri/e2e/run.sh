#!/usr/bin/env bash
# The desktop app's end-to-end test: installs what it needs (Debian packages, tauri-driver, Python
# selenium in a venv under target/), builds the UI, the app and the `logbook` CLI, then drives the
# real window under Xvfb with a private HOME and XDG directories, so the user's own database, settings
# and secrets are never touched. Screenshots and the driver's log end up in target/e2e/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/target/e2e/desktop
mkdir -p "$OUT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: WebKitGTK and its WebDriver, the build dependencies of Tauri, Xvfb.
PACKAGES="libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev libssl-dev pkg-config build-essential xvfb xauth webkit2gtk-driver
  python3-venv imagemagick"
missing=$(for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "installing: $missing"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null; then
  cargo install tauri-driver --locked
fi
VENV=$OUT/venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import selenium' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q selenium==4.51.0
fi

[ -d ui/node_modules ] || npm --prefix ui ci
npm --prefix ui run build
cargo build --locked -p logbook-desktop -p logbook-cli

# A private home: the app's default database, settings and secrets all land in here.
SCRATCH=$(mktemp -d)
cleanup() {
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
export HOME=$SCRATCH/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_CACHE_HOME=$HOME/.cache
export XDG_RUNTIME_DIR=$SCRATCH/run
mkdir -p "$XDG_CONFIG_HOME/assistant-logbook" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# The secret `make run` would have made: the app takes it over on its first launch.
(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$XDG_CONFIG_HOME/assistant-logbook/webhook-secret")
export LOGBOOK_EXPORT_PATH=$SCRATCH/exports
mkdir -p "$LOGBOOK_EXPORT_PATH"
# Headless WebKitGTK: no GPU, no DMA-BUF.
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1
export NO_AT_BRIDGE=1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export E2E_DRIVER_PORT=${E2E_DRIVER_PORT:-$(free_port)}
export E2E_NATIVE_PORT=${E2E_NATIVE_PORT:-$(free_port)}
if python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1",7420))==0)'; then
  export E2E_RECEIVER=http://127.0.0.1:7420
else
  echo "port 7420 is taken on this machine: the first-launch check needs it free" >&2
  exit 1
fi

xvfb-run -a -s "-screen 0 1400x900x24" "$VENV/bin/python" src-tauri/e2e/e2e.py
