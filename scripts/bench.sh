#!/usr/bin/env bash
# Runs the benchmarks under bench/ one after another (they measure ratios
# within one run and write bench/results/<name>.{json,md}). Pass names to run
# only some: `npm run bench -- replay lint`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test >/dev/null || exit 1
export PATH="$PWD/node_modules/.bin:$PATH"
export TESTCONTAINERS_RYUK_DISABLED=true
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  names=(providers replay introspect lint real-history review-vs-hand cancel data-checks old-code)
fi
status=0
for name in "${names[@]}"; do
  echo "== bench/$name.ts" >&2
  node "bench/$name.ts"
  code=$?
  # Exit code 2: an input it needs is missing (the real-history corpus): it said how to get it.
  if [[ $code -eq 2 ]]; then echo "bench/$name.ts skipped" >&2; elif [[ $code -ne 0 ]]; then
    echo "bench/$name.ts failed" >&2
    status=1
  fi
done
exit $status
