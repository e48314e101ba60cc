#!/usr/bin/env bash
# The quick start's first command (`npm run demo`): installs what it needs,
# builds the example blog project as a git repo with a pull request, and
# reviews the PR for real on a throwaway PostgreSQL (--database auto:
# testcontainers when a Docker engine answers, else an embedded cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --demo
rm -rf .work/blog
mkdir -p .work
examples/blog/make-repo.sh .work/blog --venv "$PWD/.venv" >/dev/null
echo "demo: reviewing the example pull request in .work/blog (branch pr against main)" >&2
set +e
node_modules/.bin/node dist/cli.js review --project .work/blog --base main "$@"
code=$?
set -e
if [[ $code -eq 1 ]]; then
  echo "demo: the review failed the gate (exit code 1), as it should for this pull request." >&2
  exit 0
fi
exit $code
