#!/usr/bin/env bash
# The whole test suite (the README's test command is `npm test`): sets up
# what the tests need, runs Vitest, and ends with the plain line
# "N passed, N failed" taken from Vitest's JSON report.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1
export PATH="$PWD/node_modules/.bin:$PATH"
export TESTCONTAINERS_RYUK_DISABLED=true
export ALEMBIC_REVIEW_TEST_IMAGE="${ALEMBIC_REVIEW_TEST_IMAGE:-local/postgres:15}"
mkdir -p test-results
rm -f test-results/vitest.json
vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
code=$?
node scripts/test-summary.ts test-results/vitest.json || code=1
exit $code
