#!/usr/bin/env bash
# Idempotent set-up of everything the demo and the tests need on a fresh
# machine. Each step is skipped when already done.
#   scripts/setup.sh --demo   npm dependencies + the Python venv (.venv)
#   scripts/setup.sh --test   also .venv-oldest and .venv-sa13, the Docker engine, the local
#                             PostgreSQL image and the local PostgreSQL server
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:---demo}"
say() { echo "setup: $*" >&2; }

# --- npm dependencies (Node 24 comes as the `node` devDependency) ----------
stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
npm_stamp="$(stamp_of package.json package-lock.json)"
if [[ ! -x node_modules/.bin/node || "$(cat node_modules/.setup-stamp 2>/dev/null)" != "$npm_stamp" ]]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$npm_stamp" >node_modules/.setup-stamp
fi

# --- Python virtual environments ------------------------------------------
make_venv() { # DIR REQUIREMENTS
  local dir="$1" req="$2" stamp
  stamp="$(stamp_of "$req")"
  if [[ -x "$dir/bin/python" && "$(cat "$dir/.setup-stamp" 2>/dev/null)" == "$stamp" ]]; then return; fi
  say "creating $dir from $req"
  rm -rf "$dir"
  python3 -m venv "$dir"
  if ! "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    exit 1
  fi
  rm -f "$dir.log"
  echo "$stamp" >"$dir/.setup-stamp"
}
make_venv .venv python/requirements-current.txt
[[ "$MODE" == --test ]] || exit 0
make_venv .venv-oldest python/requirements-oldest.txt
make_venv .venv-sa13 python/requirements-sa13.txt
make_venv .venv-async python/requirements-async.txt

# --- local PostgreSQL server (127.0.0.1:5432) -------------------------------
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  say "starting the local PostgreSQL server"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -n | tail -1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# --- Docker engine and the PostgreSQL image for testcontainers --------------
if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    say "installing the Docker engine (docker.io)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2 || {
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
    }
  fi
  say "starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { say "dockerd did not start; see /var/log/dockerd.log"; exit 1; }
fi
if ! docker image inspect local/postgres:15 >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 || {
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
    }
  }
  say "building the local/postgres:15 image"
  scripts/build-postgres-image.sh local/postgres:15 >&2
fi
