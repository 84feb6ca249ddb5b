#!/usr/bin/env bash
# Installs what building and testing Edgeref needs, from package registries only,
# and nothing that is already there. `tools.sh build` for `make dev`,
# `tools.sh test` adds the browser and the Python test packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
want="${1:-build}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
locked_version() { awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock; }
WASM_BINDGEN_VERSION="$(locked_version wasm-bindgen)"
WORKER_BUILD_VERSION="$(locked_version worker)"   # worker-build is released in step with worker

cargo_tool() { # crate version
  if cargo install --list | grep -qx "$1 v$2:"; then return; fi
  say "cargo install $1 $2"
  # --locked can fail when the registry mirror lags one of the tool's own
  # dependencies; the exact --version is what matters.
  cargo install "$1" --version "$2" --locked || cargo install "$1" --version "$2"
}

# Node.js ≥ 22 (wrangler and Redocly need it): the machine's own, or else Node.js 24 LTS from
# the npm registry (the `node` package, pinned in tools/node) in tools/node, which the Makefile
# puts first on PATH. Once installed there it is kept current with its lock file.
node_mark=tools/node/node_modules/.edgeref-installed
if [ -f $node_mark ] && [ ! tools/node/package-lock.json -nt $node_mark ]; then :
elif [ -f $node_mark ] || [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 22 ]; then
  say "npm ci (tools/node: Node.js $(sed -n 's/.*"node": "\(.*\)".*/\1/p' tools/node/package.json) from the npm registry)"
  npm ci --prefix tools/node --no-audit --no-fund
  touch $node_mark
fi
export PATH="$PWD/tools/node/node_modules/.bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
cargo_tool worker-build "$WORKER_BUILD_VERSION"

# wrangler (with workerd and esbuild), binaryen's wasm-opt, playwright-core: pinned in package-lock.json.
if [ ! -f node_modules/.edgeref-installed ] || [ package-lock.json -nt node_modules/.edgeref-installed ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
  touch node_modules/.edgeref-installed
fi

if [ "$want" = test ] || [ "$want" = bench ]; then
  # Receivers' official Standard Webhooks library and schemathesis, pinned.
  if [ ! -f .venv/.edgeref-installed ] || [ tests/requirements.txt -nt .venv/.edgeref-installed ]; then
    say "pip install -r tests/requirements.txt (into .venv)"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    touch .venv/.edgeref-installed
  fi

  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v brotli >/dev/null || missing+=(brotli)
  # The Zapier app's own dependencies (zapier-platform-core), pinned in its lock file.
  zap=integrations/zapier
  if [ ! -f $zap/node_modules/.edgeref-installed ] || [ $zap/package-lock.json -nt $zap/node_modules/.edgeref-installed ]; then
    say "npm ci (integrations/zapier)"
    npm ci --prefix $zap --no-audit --no-fund
    touch $zap/node_modules/.edgeref-installed
  fi
  # The TypeScript client's generator (openapi-typescript), tsc and openapi-fetch, pinned in its lock file.
  ts=clients/ts
  if [ ! -f $ts/node_modules/.edgeref-installed ] || [ $ts/package-lock.json -nt $ts/node_modules/.edgeref-installed ]; then
    say "npm ci (clients/ts)"
    npm ci --prefix $ts --no-audit --no-fund
    touch $ts/node_modules/.edgeref-installed
  fi
  if [ "$want" = bench ]; then cargo_tool twiggy 0.8.0; fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
  fi
fi
