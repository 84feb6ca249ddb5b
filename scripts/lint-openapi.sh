#!/usr/bin/env bash
# Lints the OpenAPI document with Redocly CLI's recommended rules (redocly.yaml;
# .redocly.lint-ignore.yaml names the operations that have no 4xx or no 2xx) and
# fails on any warning or error. `redocly lint` exits non-zero only on errors,
# so the totals of its JSON report decide.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
doc=edge/api/openapi.json
lint() { redocly lint "$doc" --lint-config=error --max-problems=1000 "$@"; }
lint --format=stylish
lint --format=json 2>/dev/null | node -e '
  const t = JSON.parse(require("fs").readFileSync(0, "utf8")).totals;
  const line = `${process.argv[1]}: ${t.errors} errors, ${t.warnings} warnings, ${t.ignored} ignored (.redocly.lint-ignore.yaml)`;
  if (t.errors || t.warnings) { console.error(`${line}: must be 0 and 0`); process.exit(1); }
  console.log(line);' "$doc"
