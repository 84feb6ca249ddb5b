#!/usr/bin/env bash
# Writes .dev.vars for `wrangler dev`: ADMIN_TOKEN from the environment if set,
# otherwise the one generated the first time (kept across runs).
set -euo pipefail
cd "$(dirname "$0")/.."
touch .dev.vars
current="$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)"
token="${ADMIN_TOKEN:-${current:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}}"
{
  grep -v -e '^ADMIN_TOKEN=' -e '^ALLOW_LOCALHOST_ORIGINS=' .dev.vars || true
  echo "ADMIN_TOKEN=$token"
  echo "ALLOW_LOCALHOST_ORIGINS=true"
} > .dev.vars.tmp
mv .dev.vars.tmp .dev.vars
chmod 600 .dev.vars
echo "$token"
