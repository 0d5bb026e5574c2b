# The commands of the README: `make run`, `make serve`, `make test` and `make package`. Each installs
# what is missing first.

SECRET_FILE ?= $(HOME)/.config/assistant-logbook/webhook-secret
LISTEN ?= 127.0.0.1:7420

.PHONY: setup ui run app serve test test-package package bench

setup:
	bash scripts/setup.sh

# The UI, built once for both `logbook serve` and the desktop app (they embed ui/dist).
ui: setup
	npm --prefix ui run build

# Runs the receiver and the browser UI on the default database. The first run makes a random webhook
# secret (readable only by you) and says where it is: paste its text into Watson's log webhook Secret.
serve: ui
	cargo build --release --locked -p logbook-cli
	@if [ ! -s "$(SECRET_FILE)" ]; then \
	  mkdir -p "$$(dirname "$(SECRET_FILE)")"; \
	  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$(SECRET_FILE)"); \
	  echo "Made a webhook secret in $(SECRET_FILE); paste its text into Watson's log webhook Secret field."; \
	fi
	./target/release/logbook serve --listen $(LISTEN) --secret-file "$(SECRET_FILE)"

# The desktop app, as `make package` builds it: the receiver in the background and the same UI in a
# window, on the same database.
app: ui
	cargo build --release --locked -p logbook-desktop
	./target/release/logbook-desktop

run: app

test: ui
	npm --prefix ui run typecheck
	npm --prefix ui test
	cargo test --workspace --locked
	npm --prefix ui run e2e
	bash src-tauri/e2e/run.sh
	$(MAKE) test-package

# Installs the .deb, starts the installed app with a fresh home, removes it (src-tauri/package/test.sh).
test-package: package
	bash src-tauri/package/test.sh

# The release UI, `logbook` and the app, bundled by the Tauri CLI (src-tauri/package/, installed from
# its lock file by setup) as a .deb and an .rpm in target/release/bundle/: the app with its desktop
# entry and icon, and `logbook` on the PATH. (No AppImage: its tools would be downloaded at build time.)
package: ui
	cargo build --release --locked -p logbook-cli
	cd src-tauri && package/node_modules/.bin/tauri build --ci --bundles deb,rpm -- --locked
	@ls -1 target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm

bench: setup
	cargo run --release --locked -p logbook-cli -- bench ingest
	cargo run --release --locked -p logbook-cli -- bench query
