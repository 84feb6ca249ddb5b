#!/usr/bin/env bash
# Fails when clients/ts/src/schema.ts is not what the pinned openapi-typescript
# makes of edge/api/openapi.json, or when the regenerated file is not committed
# (staged is enough): `make clients` regenerates it.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=clients/ts/src/schema.ts
fresh="$(mktemp --suffix=.ts)"
trap 'rm -f "$fresh"' EXIT
# (It echoes Redocly's notes on the document; the lint that counts is scripts/lint-openapi.sh.)
if ! out="$(clients/ts/node_modules/.bin/openapi-typescript edge/api/openapi.json --output "$fresh" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
if ! diff -q "$generated" "$fresh" >/dev/null; then
  diff -u "$generated" "$fresh" | head -40 >&2 || true
  echo "$generated is out of date with edge/api/openapi.json: run make clients and commit it" >&2
  exit 1
fi
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- "$generated"; then
  echo "$generated was regenerated but not committed: git add it" >&2
  exit 1
fi
echo "$generated: up to date with edge/api/openapi.json"
