# placecode: `make run` opens the desk app, `make run-central` the central server, `make test`
# runs every check. Each installs what is missing first (Debian 12 / Ubuntu, as root or with sudo).

SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
NPM ?= npm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PATH := $(HOME)/.cargo/bin:$(PATH)
export GSETTINGS_BACKEND := memory

# System packages: Tauri's WebKitGTK stack, Xvfb and the WebDriver for end-to-end tests,
# a Chinese font, ImageMagick for screenshots, and iproute2 (`ss`) for a test of the listening socket.
APT_PACKAGES := libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev \
	libssl-dev libxdo-dev build-essential pkg-config file xvfb xauth webkit2gtk-driver \
	fonts-noto-cjk fonts-hanazono imagemagick x11-utils xdotool poppler-utils zbar-tools \
	postgresql chromium chromium-driver openssl libdbus-1-dev gnome-keyring dbus nginx rpm \
	cups cups-client printer-driver-cups-pdf iproute2
TAURI_DRIVER_VERSION := 2.1.0
DESK_BIN := target/debug/placecode-desk
XVFB := xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp"

.PHONY: admin-central demo-central bench help deps apt-deps node-deps tauri-driver ui app run test lint test-rust test-ui test-e2e bindings \
	pg run-central bench-central bench-desk fuzz fuzz-api bundle bundle-debug update-fixture printpdf-trial

help:
	@echo "make run    build and open the desk app (installs what is missing)"
	@echo "make run-central   start PostgreSQL and the central server on http://127.0.0.1:8080"
	@echo "make test   every check: format, lint, unit, UI and end-to-end tests"

deps: apt-deps node-deps tauri-driver

apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing: $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

node-deps: ui/node_modules/.package-lock.json

ui/node_modules/.package-lock.json: ui/package-lock.json ui/package.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js 20.19 or newer is needed, found "+process.version); process.exit(1) }'
	cd ui && $(NPM) ci --no-audit --no-fund
	@touch $@

tauri-driver:
	@command -v tauri-driver >/dev/null && tauri-driver --version 2>/dev/null | grep -q '$(TAURI_DRIVER_VERSION)' || \
		$(CARGO) install tauri-driver --locked --version $(TAURI_DRIVER_VERSION)

ui: node-deps
	cd ui && $(NPM) run build

app: apt-deps ui
	$(CARGO) build -p placecode-desk

run: app
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "No display: starting the app under Xvfb (a virtual screen)"; \
		$(XVFB) $(DESK_BIN); \
	else $(DESK_BIN); fi

# Installable packages of the desk (Tauri's bundler, @tauri-apps/cli pinned in ui/package.json):
# `make bundle` writes target/release/bundle/deb/placecode-desk_<version>_amd64.deb and
# target/release/bundle/rpm/placecode-desk-<version>-1.x86_64.rpm (a cold release build takes
# about 9 minutes on 2 cores). The bundler wants its configuration beside the desk's own
# Cargo.toml, so a copy is written to src-tauri/ for the run and removed after.
# With UPDATE_PUBKEY=<release key's .pub> (`tauri signer generate`), the packages carry that key
# and their desks install the releases it signed from their centre (docs/updates.md); without
# it they are updated by their IT office.
TAURI_CLI := ui/node_modules/.bin/tauri
UPDATE_PUBKEY ?=
define tauri_bundle
	PLACECODE_UPDATE_PUBKEY=$(UPDATE_PUBKEY) PLACECODE_VERSION=$(3) node packaging/bundle-conf.mjs
	TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui $(TAURI_CLI) bundle --ci --bundles $(or $(2),deb$(comma)rpm) $(1); \
		rc=$$?; rm -f src-tauri/tauri.conf.json; exit $$rc
endef
comma := ,

bundle: apt-deps ui
	$(CARGO) build --release -p placecode-desk
	$(call tauri_bundle,)

# The same packages from the debug build, for the package test in `make test` (seconds, not minutes).
bundle-debug: app
	$(call tauri_bundle,--debug)

# The update test's fixture (tests/e2e/tests/update.rs): a throw-away release key, and the desk
# built once more as the next version, packaged as .deb with that key and signed with it. The
# desk is then built again as itself (the desk crate alone recompiles: seconds).
UPDATE_TEST := target/update-test
NEXT_VERSION = $(shell node -p "v=require('./tauri.conf.json').version.split('.');v[2]=+v[2]+1;v.join('.')")
update-fixture: UPDATE_PUBKEY = $(UPDATE_TEST)/release.key.pub
update-fixture: app
	@mkdir -p $(UPDATE_TEST)
	[ -f $(UPDATE_TEST)/release.key ] || $(TAURI_CLI) signer generate --ci -p '' -w $(UPDATE_TEST)/release.key
	TAURI_CONFIG='{"version":"$(NEXT_VERSION)"}' $(CARGO) build -p placecode-desk
	$(call tauri_bundle,--debug,deb,$(NEXT_VERSION))
	mv target/debug/bundle/deb/placecode-desk_$(NEXT_VERSION)_amd64.deb $(UPDATE_TEST)/
	$(TAURI_CLI) signer sign -f $(UPDATE_TEST)/release.key -p '' --app-version $(NEXT_VERSION) $(UPDATE_TEST)/placecode-desk_$(NEXT_VERSION)_amd64.deb
	$(CARGO) build -p placecode-desk

# printpdf (the design card's PDF library) on a poster's parts, beside the poster as made
# (docs/decisions.md). Its own target folder: it is not part of the workspace or `make test`.
printpdf-trial: apt-deps
	cd tools/printpdf-trial && $(CARGO) build --release
	@mkdir -p target/printpdf-trial/fonts
	ln -sf /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/fonts/truetype/hanazono/HanaMinB.ttf target/printpdf-trial/fonts/
	tools/printpdf-trial/target/release/printpdf-trial target/printpdf-trial/fonts target/printpdf-trial/poster.pdf
	pdffonts target/printpdf-trial/poster.pdf
	pdftotext target/printpdf-trial/poster.pdf - | head -5

# A private PostgreSQL cluster on 127.0.0.1:55432 (scripts/pg.sh): the central server's tests
# make one database each in it; `make run-central` keeps its data there.
pg: apt-deps
	@scripts/pg.sh start >/dev/null

CENTRAL_URL ?= http://127.0.0.1:8080
run-central: pg
	$(CARGO) build -p placecode-central
	@mkdir -p target/central
	DATABASE_URL=$$(scripts/pg.sh url) PLACECODE_SECRET_FILE=target/central/secret.key \
		PLACECODE_PUBLIC_URL=$(CENTRAL_URL) target/debug/placecode-central serve

# The server's admin commands against the same database and secret as `make run-central`:
#   make admin-central ARGS="import-risk risk.csv"      make admin-central ARGS="--help"
admin-central: pg
	@$(CARGO) build -q -p placecode-central
	DATABASE_URL=$$(scripts/pg.sh url) PLACECODE_SECRET_FILE=target/central/secret.key \
		target/debug/placecode-central admin $(ARGS)

# Two demo venues (a market and a highway checkpoint) on the server `make run-central` started,
# pushed as a desk would; prints the URLs a phone opens.
demo-central: pg
	DATABASE_URL=$$(scripts/pg.sh url) PLACECODE_PUBLIC_URL=$(CENTRAL_URL) $(CARGO) run -q -p placecode-central --example demo

lint: apt-deps ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The tests run in a D-Bus session with a throw-away gnome-keyring: the desk database's key is
# kept in a real OS keystore, as on a laptop (and a test checks that it is).
KEYRING := scripts/with-keyring.sh env PLACECODE_EXPECT_KEYSTORE=1

test-rust: apt-deps ui pg
	DATABASE_URL=$$(scripts/pg.sh url) $(KEYRING) $(CARGO) test --workspace --exclude placecode-e2e

test-ui: node-deps
	cd ui && $(NPM) run check
	cd ui && $(NPM) test

# The desk's e2e suite: the packages and update fixture it installs, the centre's database.
E2E_SUITE = PLACECODE_DEB=$$(ls -t $(CURDIR)/target/debug/bundle/deb/placecode-desk_*_amd64.deb | head -1) \
	PLACECODE_RPM=$$(ls -t $(CURDIR)/target/debug/bundle/rpm/placecode-desk-*.x86_64.rpm | head -1) \
	PLACECODE_UPDATE_DIR=$(CURDIR)/$(UPDATE_TEST) \
	DATABASE_URL=$$(scripts/pg.sh url) $(KEYRING) $(XVFB) $(CARGO) test -p placecode-e2e --tests -- --test-threads=1

# The package test (tests/e2e/tests/package.rs) installs the debug .deb with apt, starts the
# installed program and removes it again: it needs root or password-less sudo.
test-e2e: deps update-fixture pg
	$(MAKE) bundle-debug UPDATE_PUBKEY=$(UPDATE_TEST)/release.key.pub
	$(CARGO) build -p placecode-central
	$(E2E_SUITE)
	@echo "The desk's e2e suite again, the desk set to English (设置 › 界面语言):"
	PLACECODE_E2E_LANG=en $(E2E_SUITE)

test: deps lint test-rust test-ui test-e2e
	@echo "make test: all checks passed"

# Rewrites ui/src/lib/bindings/ from the Rust types (test-rust fails while they are stale).
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test -p placecode-desk bindings

# Benchmarks (release build); figures go to docs/BENCHMARKS.md with the machine and date.
bench: bench-central
	$(CARGO) bench -p placecode-store --bench checkin
	$(CARGO) bench -p placecode-poster --bench poster
	$(CARGO) bench -p placecode-store --bench risk_attack

# The central server against its PostgreSQL: phone check-ins driven by wrk, push ingest, a
# desk's week offline (1,000,000 records) drained, and tracing and the console over 10 million
# visits (about 15 minutes; uses its own databases, placecode_bench and placecode_drain).
bench-central: pg
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	DATABASE_URL=$$(scripts/pg.sh url) $(CARGO) bench -p placecode-central --bench central
	DATABASE_URL=$$(scripts/pg.sh url) $(CARGO) bench -p placecode-central --bench drain
	DATABASE_URL=$$(scripts/pg.sh url) $(CARGO) bench -p placecode-central --bench console

# The desk's start-up time and its memory under an hour of check-ins (release build, under Xvfb;
# PLACECODE_BENCH_MINUTES=10 for a shorter run). Figures go to docs/BENCHMARKS.md.
bench-desk: deps ui
	$(CARGO) build --release -p placecode-desk
	$(CARGO) build -p placecode-desk
	$(KEYRING) $(XVFB) $(CARGO) bench -p placecode-e2e --bench desk

# Fuzzing (docs/ROBUSTNESS.md). `make fuzz`: every cargo-fuzz target of fuzz/ on the nightly
# toolchain, FUZZ_SECONDS each (FUZZ_TARGETS="identity csv_risk" for some); installs cargo-fuzz
# if missing. `make fuzz-api`: schemathesis against the central server's API, on its own
# PostgreSQL cluster (port 55691) and loopback port (18691), stopped at the end.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-api: apt-deps
	scripts/fuzz-api.sh
