# Edgeref: `make dev` serves it locally, `make test` runs every test.
# Both install what is missing first (scripts/tools.sh), and only that.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
PORT ?= 8787
# tools/node: Node.js 24 from the npm registry, where the machine's is older than 22 (scripts/tools.sh).
export PATH := $(CURDIR)/tools/node/node_modules/.bin:$(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export WRANGLER_SEND_METRICS := false
# worker-build would download these from GitHub; use the pinned ones instead.
export ESBUILD_BIN := $(CURDIR)/node_modules/.bin/esbuild
export WASM_OPT_BIN := $(CURDIR)/node_modules/.bin/wasm-opt
export WASM_BINDGEN_BIN := $(HOME)/.cargo/bin/wasm-bindgen

SHARED_SRC := $(shell find shared/src -name '*.rs') shared/Cargo.toml Cargo.lock
SNIPPET_SRC := $(shell find snippet/src -name '*.rs') snippet/Cargo.toml snippet/core.js snippet/loader.js snippet/js/cookies.js snippet/widget.js
EDGE_SRC := $(shell find edge/src -name '*.rs') edge/Cargo.toml edge/build.rs edge/api/openapi.json
SNIPPET_OUT := snippet/pkg/snippet.js snippet/pkg/snippet_bg.js snippet/pkg/snippet_bg.wasm snippet/pkg/widget.js
CLIENT_RS_SRC := $(shell find clients/rust/src -name '*.rs') clients/rust/Cargo.toml
CONSUMER_SRC := $(shell find examples/edge-consumer/src -name '*.rs') examples/edge-consumer/Cargo.toml
CLIENT_TS_SRC := clients/ts/src/index.ts clients/ts/src/schema.ts clients/ts/tsconfig.json clients/ts/package-lock.json
# The snippet builds with its own flags (opt-level 3; no reference types: no
# externref table to ship), so in its own target dir, keeping the Worker's cache.
SNIPPET_TARGET := target/snippet

.PHONY: dev test check-structure bench soak screenshots build snippet clients tools tools-test tools-bench lint-openapi test-rust test-wasm test-clients test-e2e test-zapier clean FORCE

# E-mail for this run only (docs/emails.md): each of these that is set in the environment is
# passed to the Worker; one not set is not kept from an earlier run. With no EMAIL_PROVIDER the
# Worker keeps what it would send at /__dev/mail.
EMAIL_FROM ?= noreply@edgeref.localhost
EMAIL_VARS = $(foreach v,EMAIL_PROVIDER EMAIL_API_URL EMAIL_API_TOKEN EMAIL_FROM,$(if $($(v)),--var '$(v):$($(v))'))

# Like a deployment, the cron trigger fires on its schedule: scripts/dev-cron.mjs ticks
# wrangler's scheduled-test endpoint and exits with wrangler (which takes this shell's pid).
dev: build
	@token=$$(scripts/dev-vars.sh); \
	wrangler d1 migrations apply DB --local >/dev/null; \
	printf '\n  Edgeref is running.\n  Dashboard:   http://127.0.0.1:$(PORT)/\n  Demo page:   http://127.0.0.1:$(PORT)/demo/\n  E-mail:      %s\n  Admin token: %s\n\n' "$(if $(EMAIL_PROVIDER),sent by $(EMAIL_PROVIDER),kept at http://127.0.0.1:$(PORT)/__dev/mail)" "$$token"; \
	node scripts/dev-cron.mjs --url http://127.0.0.1:$(PORT) --pid $$$$ & \
	exec wrangler dev --ip 127.0.0.1 --port $(PORT) --test-scheduled $(EMAIL_VARS)

test: check-structure tools-test lint-openapi build clients test-rust test-wasm test-clients test-e2e test-zapier

# Benchmarks (not part of `make test`): prints a table, writes docs/benchmarks.md.
# The Worker is built with its meters (the `bench` feature) for this; the next `make build` drops them.
bench: tools-bench
	$(MAKE) build EDGE_FEATURES=bench
	node bench/run.mjs

# A longer mixed workload with invariant checks (not in CI): SOAK_SECONDS=300 by default.
soak: tools-test build
	node tests/soak.mjs

# The dashboard's screenshots in docs/ (docs/dashboard.md), retaken by its end-to-end test.
screenshots: tools-test build
	SCREENSHOTS=1 node --test tests/dashboard.test.mjs tests/dashboard_audit.test.mjs tests/dashboard_import.test.mjs tests/dashboard_emails.test.mjs tests/widget.test.mjs tests/emails.test.mjs tests/team.test.mjs

# The Worker's shape, from its parsed source (tools/structure): no import cycle between
# files, no two top-level modules using each other, SQL only in store.rs and db.rs, no
# function over 60 lines.
check-structure:
	cargo run -q -p edgeref-structure -- edge/src

tools:
	@scripts/tools.sh build

tools-test:
	@scripts/tools.sh test

tools-bench:
	@scripts/tools.sh bench

build: tools edge/build/index.js www/openapi.json

# The OpenAPI document is served as a static asset (edge/src/openapi.rs), not from the Worker's wasm.
www/openapi.json: edge/api/openapi.json
	cp $< $@

snippet: $(SNIPPET_OUT)

# The browser snippet: Rust → wasm, size-optimised by wasm-opt (`--low-memory-unused`
# and `--zero-filled-memory` hold for a fresh Rust module). LLVM's opt-level 3 is
# used, not "z": its output is a little larger raw but 11 % smaller brotli'd,
# which is what visitors download (docs/benchmarks.md). wasm-bindgen's generated
# glue is not shipped (snippet/loader.js speaks its ABI by hand), so the module keeps
# only the exports that JS calls, under one-letter names. Then, minified
# for ES2017 (the syntax every browser with WebAssembly speaks), the loader every
# page view gets (snippet/core.js; the Worker fills in each program's config) and
# the module's JS, fetched with the wasm only when there may be something to track; and the
# referrer widget (snippet/widget.js), fetched only by `edgeref('widget', …)`.
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-multivalue
# The names the module's JS (snippet/loader.js) uses: one letter each, since names are part
# of the download. Imports `e.c` (cookies) and `e.s` (set_cookie); exports y memory, m malloc,
# f free, k the stack pointer, s start, p page, a answered, r referral. A name that stops
# matching leaves an import unlinked or an export missing: the tracking tests fail.
SNIPPET_RENAMES := -e 's/\(import "\.\/glue_bg\.js" "__wbg_cookies_[0-9a-f]+"/(import "e" "c"/' \
  -e 's/\(import "\.\/glue_bg\.js" "__wbg_set_cookie_[0-9a-f]+"/(import "e" "s"/' \
  -e 's/\(export "memory" /(export "y" /' -e 's/\(export "__wbindgen_export" /(export "m" /' \
  -e 's/\(export "__wbindgen_export3" /(export "f" /' -e 's/\(export "__wbindgen_add_to_stack_pointer" /(export "k" /' \
  -e 's/\(export "start" /(export "s" /' -e 's/\(export "page" /(export "p" /' \
  -e 's/\(export "answered" /(export "a" /' -e 's/\(export "referral" /(export "r" /'
# Every other export (realloc, wasm-bindgen's abort globals) and what only it reaches is dropped.
SNIPPET_KEPT := [{"name": "js", "root": true, "reaches": ["y", "m", "f", "k", "s", "p", "a", "r"]}$(foreach e,y m f k s p a r,, {"name": "$(e)", "export": "$(e)"})]

$(SNIPPET_OUT) &: $(SHARED_SRC) $(SNIPPET_SRC)
	CARGO_PROFILE_RELEASE_OPT_LEVEL=3 RUSTFLAGS="-C target-feature=-reference-types" cargo build -p edgeref-snippet --release --target wasm32-unknown-unknown --features standalone --target-dir $(SNIPPET_TARGET)
	rm -rf snippet/pkg
	wasm-bindgen --target bundler --no-typescript --out-dir snippet/pkg --out-name glue $(SNIPPET_TARGET)/wasm32-unknown-unknown/release/edgeref_snippet.wasm
	wasm-dis $(WASM_FEATURES) snippet/pkg/glue_bg.wasm | sed -E $(SNIPPET_RENAMES) > snippet/pkg/renamed.wat
	wasm-as $(WASM_FEATURES) snippet/pkg/renamed.wat -o snippet/pkg/renamed.wasm
	echo '$(SNIPPET_KEPT)' > snippet/pkg/kept.json
	wasm-metadce $(WASM_FEATURES) --graph-file snippet/pkg/kept.json snippet/pkg/renamed.wasm -o snippet/pkg/kept.wasm > /dev/null
	wasm-opt -Oz --converge --low-memory-unused --zero-filled-memory --strip-producers --strip-target-features $(WASM_FEATURES) -o snippet/pkg/snippet_bg.wasm snippet/pkg/kept.wasm
	esbuild snippet/core.js --bundle --format=iife --minify --target=es2017 --log-level=warning --outfile=snippet/pkg/snippet.js
	esbuild snippet/loader.js --bundle --format=iife --minify --target=es2017 --log-level=warning --outfile=snippet/pkg/snippet_bg.js
	esbuild snippet/widget.js --bundle --format=iife --minify --target=es2018 --log-level=warning --outfile=snippet/pkg/widget.js

# The OpenAPI document is generated from its one source.
edge/api/openapi.json: edge/api/openapi.py
	python3 edge/api/openapi.py

# The OpenAPI document against Redocly CLI's recommended rules: any warning fails.
lint-openapi: tools edge/api/openapi.json
	scripts/lint-openapi.sh

# The Worker (it embeds the snippet and the OpenAPI document), with the cargo features in
# EDGE_FEATURES: none for what is tested and deployed, `bench` for `make bench`. A build
# for other features than the last one's (edge/build/.features) is made again.
EDGE_FEATURES ?=
ifneq ($(shell cat edge/build/.features 2>/dev/null),$(EDGE_FEATURES))
edge/build/index.js: FORCE
endif
edge/build/index.js: $(SNIPPET_OUT) $(SHARED_SRC) $(EDGE_SRC)
	cd edge && worker-build --release $(if $(EDGE_FEATURES),--features $(EDGE_FEATURES))
	echo '$(EDGE_FEATURES)' > edge/build/.features
	touch $@

FORCE:

# The clients (docs/clients.md) and what their end-to-end tests run: the TypeScript
# client's generated types and build, the edge consumer Worker (examples/edge-consumer,
# edgeref-client over a service binding), the Rust client's HTTP-transport test binary.
clients: tools-test clients/ts/dist/index.js examples/edge-consumer/build/index.js
	cargo test -p edgeref-client --features http --no-run --quiet

# The TypeScript client's types, from the OpenAPI document by the pinned openapi-typescript.
clients/ts/src/schema.ts: edge/api/openapi.json clients/ts/package-lock.json
	npm run --prefix clients/ts --silent generate

clients/ts/dist/index.js: $(CLIENT_TS_SRC)
	npm run --prefix clients/ts --silent build

# A second Worker build, in the same target dir: workers-rs is compiled once for both.
examples/edge-consumer/build/index.js: $(SHARED_SRC) $(CLIENT_RS_SRC) $(CONSUMER_SRC)
	cd examples/edge-consumer && worker-build --release
	touch $@

# The benchmark's meters are compiled (not deployed) too, so they cannot rot unseen.
test-rust:
	cargo test --workspace
	cargo check -p edgeref-edge --features bench --quiet

# The generated client code is what the generator makes of the OpenAPI document, and committed.
test-clients:
	scripts/check-client-drift.sh

# The snippet's own tests, in headless Chromium (wasm-bindgen-test; browser flags in snippet/webdriver.json).
test-wasm:
	CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test -p edgeref-snippet --target wasm32-unknown-unknown

# Every end-to-end file, two at a time (each starts its own wrangler dev on free ports and
# waits for the states it asserts, never for time; most of a file's time is waiting on
# workerd and Chromium, so two share the machine's two cores). The longest file starts first.
# One file: `make test-e2e E2E=tests/portal.test.mjs` (after `make build`). Files are named,
# not the folder: Node.js 22+ reads `node --test tests/` as one file called "tests".
E2E_FIRST := tests/openapi.test.mjs
E2E ?= $(E2E_FIRST) $(filter-out $(E2E_FIRST),$(wildcard tests/*.test.mjs))
E2E_JOBS ?= 2
test-e2e: tools-test
	node --test --test-concurrency=$(E2E_JOBS) $(E2E)

# The Zapier app, tested with zapier-platform-core's app tester against wrangler dev.
test-zapier:
	npm test --prefix integrations/zapier

clean:
	rm -rf target edge/build snippet/pkg .wrangler clients/ts/dist examples/edge-consumer/build
