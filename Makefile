# The two commands of the README: `make run` and `make test`. Each installs what is missing first.

SECRET_FILE ?= $(HOME)/.config/assistant-logbook/webhook-secret
LISTEN ?= 127.0.0.1:7420

.PHONY: setup run test bench

setup:
	bash scripts/setup.sh

# Runs the receiver on the default database. The first run makes a random webhook secret (readable only
# by you) and prints where it is: paste its text into the Secret field of Watson's log webhook.
run: setup
	cargo build --release --locked
	@if [ ! -s "$(SECRET_FILE)" ]; then \
	  mkdir -p "$$(dirname "$(SECRET_FILE)")"; \
	  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$(SECRET_FILE)"); \
	  echo "Made a webhook secret in $(SECRET_FILE); paste its text into Watson's log webhook Secret field."; \
	fi
	./target/release/logbook serve --listen $(LISTEN) --secret-file "$(SECRET_FILE)"

test: setup
	cargo test --workspace --locked

bench: setup
	cargo run --release --locked -- bench ingest
