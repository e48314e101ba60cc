#!/usr/bin/env bash
# Builds the blog example as a git repository with a pull request to review:
#
#   main  the base project: models User + Post, two migrations
#   pr    main + the PR under pr/: three new migrations (checked out)
#
# Usage: make-repo.sh DEST [--venv PATH]
#
#   DEST         must not exist, or be an empty directory
#   --venv PATH  symlink DEST/.venv -> PATH (a virtualenv with SQLAlchemy,
#                Alembic and a PostgreSQL driver), so tools find the
#                project's Python at DEST/.venv/bin/python
#
# Commits have fixed authors and dates, so the commit ids are the same on
# every run. Prints nothing but errors, then the absolute DEST on success.
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") DEST [--venv PATH]" >&2
  exit 2
}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

dest=""
venv=""
while [ $# -gt 0 ]; do
  case "$1" in
    --venv)
      [ $# -ge 2 ] || usage
      venv="$2"
      shift 2
      ;;
    --venv=*)
      venv="${1#--venv=}"
      shift
      ;;
    -h | --help) usage ;;
    -*) echo "$(basename "$0"): unknown option: $1" >&2; usage ;;
    *)
      [ -z "$dest" ] || usage
      dest="$1"
      shift
      ;;
  esac
done
[ -n "$dest" ] || usage

if [ -n "$venv" ]; then
  [ -d "$venv" ] || die "--venv: not a directory: $venv"
  venv="$(cd "$venv" && pwd)"
  [ -x "$venv/bin/python" ] || die "--venv: no bin/python in $venv"
fi

created=""
if [ -e "$dest" ] || [ -L "$dest" ]; then
  [ -d "$dest" ] || die "DEST exists and is not a directory: $dest"
  [ -z "$(ls -A "$dest")" ] || die "DEST is not empty (refusing to touch it): $dest"
else
  mkdir -p "$dest"
  created=1
fi
dest="$(cd "$dest" && pwd -P)"

# On failure, leave DEST as it was found (absent or empty).
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    if [ -n "$created" ]; then
      rm -rf -- "$dest"
    else
      find "$dest" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
    fi
  fi
}
trap cleanup EXIT

case "$dest/" in
  "$SRC"/*) die "DEST must not be inside the example itself: $dest" ;;
esac

# git with a fixed identity and no influence from the user's or the system's
# git configuration (hooks, signing, templates, default branch).
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Blog Team" GIT_AUTHOR_EMAIL="team@blog.example"
export GIT_COMMITTER_NAME="Blog Team" GIT_COMMITTER_EMAIL="team@blog.example"
export TZ=UTC
git_() { git -C "$dest" -c core.hooksPath=/dev/null -c commit.gpgsign=false -c core.autocrlf=false "$@"; }

# Copies the project files under $1 into DEST, skipping what is not part of
# the project (the PR, this script, the README, virtualenvs, caches).
copy_tree() {
  (cd "$1" && tar -c \
    --exclude=./pr --exclude=./make-repo.sh --exclude=./README.md \
    --exclude=.venv --exclude=__pycache__ --exclude='*.pyc' \
    --exclude=.pytest_cache --exclude=.mypy_cache --exclude='*.egg-info' \
    .) | tar -x -C "$dest" --no-same-owner
}

# The base commit.
git -c init.defaultBranch=main init -q "$dest"
git_ symbolic-ref HEAD refs/heads/main
git_ config user.name "Blog Team"
git_ config user.email "team@blog.example"
copy_tree "$SRC"
git_ add -A
GIT_AUTHOR_DATE="2024-03-04T16:00:00+00:00" GIT_COMMITTER_DATE="2024-03-04T16:00:00+00:00" \
  git_ commit -q -m "Blog: users and posts" \
  -m "Models User and Post, and their two migrations (create users, create posts)."

# The pull request, one commit on branch pr.
git_ checkout -q -b pr
(cd "$SRC/pr" && tar -c --exclude=__pycache__ --exclude='*.pyc' .) | tar -x -C "$dest" --no-same-owner
git_ add -A
GIT_AUTHOR_DATE="2024-03-12T12:00:00+00:00" GIT_COMMITTER_DATE="2024-03-12T12:00:00+00:00" \
  git_ commit -q -m "Add display name, rename post body, add comments"

if [ -n "$venv" ]; then
  ln -s "$venv" "$dest/.venv" # ignored: .gitignore lists .venv
fi

[ -z "$(git_ status --porcelain)" ] || die "working tree not clean after the PR commit"
echo "$dest"
