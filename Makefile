# Leashline — the two commands a newcomer needs:
#   make run    install what is missing, build, serve http://127.0.0.1:3000 (SQLite, Demo provider, demo data)
#   make test   install what is missing, then clippy, fmt, all Rust tests and the browser tests
# Every install step checks what is already there (and its version) first.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLCHAIN            := 1.97.0
CARGO_LEPTOS_VERSION := 0.3.11
TWILIO_PY_VERSION    := 9.8.6
SCHEMATHESIS_VERSION := 4.32.5
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
SUDO                 := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR ?= never
# cargo-leptos sets this while building; setting it for every cargo command
# keeps plain `cargo test` builds identical (and avoids rebuilding leptos).
export LEPTOS_OUTPUT_NAME := leashline

.PHONY: help run test build dev deps deps-test toolchain cargo-leptos wasm-bindgen node-modules native-wasm-opt chromium python-twilio \
        python-schemathesis lint rust-tests e2e fuzz-api size-budget bench clean-data

help:
	@echo "make run   - install what's missing, build and serve http://127.0.0.1:3000 with demo data"
	@echo "make test  - install what's missing, then clippy, fmt, Rust tests and Playwright"
	@echo "make build - release build (server + WASM + CSS) into target/"
	@echo "make dev   - rebuild and restart on every change (cargo leptos watch)"
	@echo "make bench - benchmarks (policy detector, webhook load, search)"
	@echo "make fuzz-api - schemathesis against the integration API (part of make test)"

# ---------------------------------------------------------------- installs

toolchain:
	@if ! rustup toolchain list | grep -q "^$(TOOLCHAIN)"; then \
		echo "installing Rust $(TOOLCHAIN)"; \
		rustup toolchain install $(TOOLCHAIN) --profile minimal -c clippy,rustfmt -t wasm32-unknown-unknown; \
	fi
	@if ! rustup target list --installed --toolchain $(TOOLCHAIN) | grep -q wasm32-unknown-unknown; then \
		rustup target add wasm32-unknown-unknown --toolchain $(TOOLCHAIN); \
	fi
	@for c in clippy rustfmt; do \
		rustup component list --installed --toolchain $(TOOLCHAIN) | grep -q "^$$c" || rustup component add $$c --toolchain $(TOOLCHAIN); \
	done

# Its own profile (fat LTO, one codegen unit) is kept: measured here, a
# build without LTO and with 16 units took 1,080 s against 890 s.
cargo-leptos: toolchain
	@if cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then :; else \
		echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 15 minutes, once per machine)"; \
		cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked; \
	fi

wasm-bindgen: toolchain
	@if wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then :; else \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (matches Cargo.lock)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# wasm-opt as cargo-leptos finds it (node_modules/.bin comes first on its
# PATH) is tools/bin/wasm-opt, which gives tiny split WASM pieces to a native
# wasm-opt instead of starting Node.js for each one (see the script).
node-modules: node_modules/.installed
	@[ "$$(readlink node_modules/.bin/wasm-opt)" = "../../tools/bin/wasm-opt" ] || \
		ln -sfn ../../tools/bin/wasm-opt node_modules/.bin/wasm-opt

chromium:
	@if command -v chromium >/dev/null 2>&1; then :; else \
		echo "installing Debian chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; \
	fi

python-twilio:
	@if python3 -c "import twilio, sys; sys.exit(0 if twilio.__version__ == '$(TWILIO_PY_VERSION)' else 1)" 2>/dev/null; then :; else \
		echo "installing PyPI twilio $(TWILIO_PY_VERSION) (signature cross-check in tests)"; \
		python3 -m pip install -q "twilio==$(TWILIO_PY_VERSION)"; \
	fi

python-schemathesis:
	@if [ "$$(python3 -m pip show schemathesis 2>/dev/null | awk '/^Version:/ {print $$2}')" = "$(SCHEMATHESIS_VERSION)" ]; then :; else \
		echo "installing PyPI schemathesis $(SCHEMATHESIS_VERSION) (API fuzzing in tests)"; \
		python3 -m pip install -q "schemathesis==$(SCHEMATHESIS_VERSION)"; \
	fi

# Debian's native wasm-opt (binaryen 108): tools/bin/wasm-opt hands it the
# hundreds of tiny split WASM pieces. Optional: without it they go to npm's
# wasm-opt, the same result minutes slower.
native-wasm-opt:
	@if [ -x /usr/bin/wasm-opt ]; then :; else \
		echo "installing Debian binaryen (a native wasm-opt for the small WASM pieces)"; \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq binaryen) \
			|| echo "binaryen not installed: small WASM pieces go to npm's wasm-opt (slower build, same result)"; \
	fi

deps: toolchain cargo-leptos wasm-bindgen node-modules native-wasm-opt

deps-test: deps chromium python-twilio python-schemathesis

.env:
	@echo "creating .env with a fresh APP_SECRET_KEY"
	@sed "s|^APP_SECRET_KEY=.*|APP_SECRET_KEY=$$(head -c 32 /dev/urandom | base64 | tr -d '\n')|" .env.example > .env

# ------------------------------------------------------------------- build

# What the release build reads; when none of it changed since the last
# build, `make build` (and so `make run`) skips cargo-leptos entirely: its
# wasm-bindgen and wasm-opt steps take minutes even when nothing changed.
BUILD_INPUTS := Cargo.toml Cargo.lock $(shell find app/src app/Cargo.toml frontend server/src server/Cargo.toml style public migrations -type f 2>/dev/null)

# The stamp takes the time the build started, so an edit made while it
# ran still triggers the next one.
target/release/.built: $(BUILD_INPUTS)
	@mkdir -p target/release && touch $@.started
	cargo leptos build --release --precompress --split
	@mv $@.started $@

build: deps target/release/.built

run: build .env
	@echo "Leashline on http://127.0.0.1:3000 — owner@example.com / password123 (sitter@example.com for the sitter view)"
	LEPTOS_SITE_ROOT=target/site ./target/release/server serve --seed-demo-if-empty

dev: deps .env
	cargo leptos watch

# -------------------------------------------------------------------- test

lint: toolchain
	cargo fmt --all --check
	cargo clippy -p app -p server --all-targets --features app/ssr -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# What the Rust tests build. Release mode, and the same packages and
# features as cargo-leptos's server build (server/Cargo.toml, "the same
# features"), so `make build` after the tests compiles nothing for the
# server; app/tests/build_sharing.rs reads this line and checks it.
RUST_TEST_PACKAGES := -p app -p server --no-default-features --features app/ssr,server/ssr

rust-tests: toolchain
	cargo test --release $(RUST_TEST_PACKAGES)

e2e: build chromium
	cd end2end && npx playwright test

# Schemathesis against /api/v1/openapi.json on a seeded release server.
fuzz-api: build python-schemathesis
	end2end/fuzz-api.sh 3102

# The compressed size of what /login downloads (script, WASM, styles);
# fails past the budget and says by how much. See end2end/size-budget.sh.
size-budget: build
	end2end/size-budget.sh

test: deps-test lint rust-tests e2e fuzz-api size-budget

bench: build chromium
	cd end2end && node phone-bench.mjs
	cargo bench -p app --bench policy --features ssr
	cargo run --release -p server --bin loadtest
	cargo run --release -p server --bin inboxbench

clean-data:
	rm -rf data target/e2e
