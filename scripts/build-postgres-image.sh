#!/usr/bin/env bash
# Builds a PostgreSQL image locally (no image registry is needed): a minimal
# Debian root with postgresql-15 from debootstrap, plus an entrypoint that
# honours the official image's POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB.
# Usage: scripts/build-postgres-image.sh [TAG]   (default local/postgres:15)
# The image is reused when it already exists; FORCE=1 rebuilds it.
set -euo pipefail

TAG="${1:-local/postgres:15}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "image $TAG already present"
  exit 0
fi

ROOT="$(mktemp -d /tmp/pgimage.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

echo "debootstrap bookworm + postgresql-15 into $ROOT"
debootstrap --variant=minbase --include=postgresql-15 bookworm "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || {
  tail -30 "$ROOT.log" >&2
  exit 1
}
rm -f "$ROOT.log"

# The package creates a default cluster; the entrypoint makes its own.
rm -rf "$ROOT"/var/lib/postgresql/15/main "$ROOT"/etc/postgresql/15/main
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*

cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
# Minimal stand-in for the official postgres image's entrypoint.
set -e
PGBIN=/usr/lib/postgresql/15/bin
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export LANG=C.UTF-8
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-postgres}" >"$pwfile"
  chown postgres "$pwfile"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" \
    --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop
  fi
fi
if [ "${1:-postgres}" = postgres ]; then
  [ $# -gt 0 ] && shift
  exec runuser -u postgres -- "$PGBIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
ENTRY
chmod 0755 "$ROOT/usr/local/bin/docker-entrypoint.sh"

echo "importing as $TAG"
tar -C "$ROOT" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  -c 'CMD ["postgres"]' \
  -c 'EXPOSE 5432' \
  -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$TAG" >/dev/null
echo "built $TAG"
