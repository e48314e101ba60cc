#!/usr/bin/env bash
# Fails when the committed dist/ differs from a fresh build of the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
node_modules/.bin/node scripts/build.ts "$fresh/dist" >/dev/null
if ! diff -r -q dist "$fresh/dist"; then
  echo "dist/ is stale: run \`npm run build\` and commit dist/." >&2
  exit 1
fi
echo "dist/ is fresh"
