#!/usr/bin/env bash
# The packages as a user gets them. Checks what the .deb and the .rpm that `make package` built hold
# (the app, its desktop entry and icon, the `logbook` CLI, the version), then installs the .deb on
# this machine, starts the installed app under Xvfb with a fresh home (a first launch), posts a
# signed event to its receiver with the installed `logbook send`, waits for its window to be drawn
# (a screenshot that is not blank, kept in target/package-test/), and removes the package again.
# Needs root (or sudo) for apt-get and dpkg, and the port the app receives on by default (7420) free.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/target/package-test
rm -rf "$OUT"
mkdir -p "$OUT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "package test: $*" >&2; exit 1; }

version=$(./target/release/logbook --version | awk '{print $2}')
[ -n "$version" ] || fail "no target/release/logbook: run make package first"
shopt -s nullglob
debs=(target/release/bundle/deb/*_"$version"_*.deb)
rpms=(target/release/bundle/rpm/*-"$version"-*.rpm)
shopt -u nullglob
[ ${#debs[@]} = 1 ] || fail "expected one .deb of version $version in target/release/bundle/deb: ${debs[*]:-none} (make package)"
[ ${#rpms[@]} = 1 ] || fail "expected one .rpm of version $version in target/release/bundle/rpm: ${rpms[*]:-none} (make package)"
deb=$ROOT/${debs[0]}
rpm=$ROOT/${rpms[0]}

# Tools of the test itself: Xvfb and ImageMagick (as for the app's end-to-end test), rpm to read the .rpm.
missing=$(for p in xvfb xauth imagemagick rpm; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "installing: $missing"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

echo "== what the packages hold"
package=$(dpkg-deb -f "$deb" Package)
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail ".deb version $(dpkg-deb -f "$deb" Version), logbook --version $version"
# `dpkg-deb -c` lists like `ls -l`: the path is what follows the fifth field (it may hold spaces).
dpkg-deb -c "$deb" | sed -E 's/^([^ ]+ +){5}//; s|^\./|/|; s|^([^/])|/\1|; s|/$||' > "$OUT/deb-files"
rpm -qlp "$rpm" 2>/dev/null > "$OUT/rpm-files"
[ "$(rpm -qp --qf '%{VERSION}' "$rpm" 2>/dev/null)" = "$version" ] || fail ".rpm version differs from $version"
for list in deb-files rpm-files; do
  for file in /usr/bin/logbook /usr/bin/logbook-desktop /usr/share/applications/"Assistant Logbook".desktop; do
    grep -qxF "$file" "$OUT/$list" || fail "$list: no $file in the package"
  done
  grep -q '^/usr/share/icons/hicolor/.*/apps/logbook-desktop.png$' "$OUT/$list" || fail "$list: no icon"
done
echo "$package $version: the app, its desktop entry and icon, and the logbook CLI, in the .deb and the .rpm"

if dpkg -s "$package" >/dev/null 2>&1; then
  fail "$package is already installed on this machine; this test installs and removes it: remove it first (apt-get remove $package)"
fi
if python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1",7420))!=0)'; then
  fail "port 7420 is taken on this machine: the installed app's first launch receives there"
fi

SCRATCH=$(mktemp -d)
app_pid=
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; fi
  if dpkg -s "$package" >/dev/null 2>&1; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null || true
  fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

echo "== installing $(basename "$deb")"
# apt-get installs what the package depends on (WebKitGTK) along with it.
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
[ "$(command -v logbook)" = /usr/bin/logbook ] || fail "logbook is not on the PATH after installing"
[ "$(logbook --version)" = "logbook $version" ] || fail "installed logbook --version: $(logbook --version)"
desktop="/usr/share/applications/Assistant Logbook.desktop"
grep -qx 'Exec=logbook-desktop' "$desktop" || fail "desktop entry: $(cat "$desktop")"
grep -qx 'Icon=logbook-desktop' "$desktop" || fail "desktop entry: $(cat "$desktop")"
grep -qx 'Name=Assistant Logbook' "$desktop" || fail "desktop entry: $(cat "$desktop")"

# A fresh home, as a new user has, with the webhook secret `make serve` would have made: the app
# takes it over on its first launch.
export HOME=$SCRATCH/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_CACHE_HOME=$HOME/.cache
export XDG_RUNTIME_DIR=$SCRATCH/run
mkdir -p "$XDG_CONFIG_HOME/assistant-logbook" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
secret=$XDG_CONFIG_HOME/assistant-logbook/webhook-secret
(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$secret")
# Headless WebKitGTK: no GPU, no DMA-BUF (as in the app's end-to-end test).
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1

echo "== the installed app under Xvfb"
export OUT secret
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  set -euo pipefail
  logbook-desktop > "$OUT/app.log" 2>&1 &
  app=$!
  trap "kill $app 2>/dev/null || true" EXIT
  # Its receiver answers: GET /healthz, then a signed event with the installed logbook send.
  for _ in $(seq 600); do
    curl -fsS http://127.0.0.1:7420/healthz >/dev/null 2>&1 && break
    kill -0 $app 2>/dev/null || { cat "$OUT/app.log"; echo "the app quit" >&2; exit 1; }
    sleep 0.1
  done
  curl -fsS http://127.0.0.1:7420/healthz | grep -q "\"ok\"" || { echo "the receiver does not answer" >&2; exit 1; }
  logbook send --url http://127.0.0.1:7420/ --secret-file "$secret" tests/samples/01_webchat_welcome.json \
    | tee "$OUT/send.txt"
  grep -q "^200 .*\"stored\"" "$OUT/send.txt" || { echo "the signed event was not stored" >&2; exit 1; }
  # Its window is drawn: the screen is not one flat colour (the empty Xvfb root is black).
  for _ in $(seq 120); do
    import -window root "$OUT/window.png"
    colours=$(identify -format "%k" "$OUT/window.png")
    [ "$colours" -ge 64 ] && break
    sleep 0.5
  done
  echo "screenshot: $OUT/window.png ($colours colours)"
  [ "$colours" -ge 64 ] || { echo "the window was not drawn within 60 s" >&2; exit 1; }
  xwininfo -root -tree | grep -q "\"Assistant Logbook\"" || { echo "no window titled Assistant Logbook" >&2; exit 1; }
  # Quits cleanly on SIGTERM, as when its window closes.
  kill -TERM $app
  wait $app
  trap - EXIT
'
# What it received is in the new user's database (the default one, shared by the app and the CLI),
# read by the installed CLI.
logbook stats --format json > "$OUT/stats.json"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); n=s["events"]; sys.exit(0 if n==1 else f"the app stored {n} events, not 1")' "$OUT/stats.json" \
  || fail "$(cat "$OUT/stats.json")"

echo "== removing $package"
as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null
for file in /usr/bin/logbook /usr/bin/logbook-desktop "$desktop"; do
  [ ! -e "$file" ] || fail "$file is still there after removing the package"
done
echo "package test: ok"
