#!/usr/bin/env bash
# Starts a local PostgreSQL for the tests and benchmarks, and prints the DATABASE_URL to use.
# Installs Debian's `postgresql` package when it is missing, lets the `postgres` user connect
# over TCP on loopback without a password (a test server, never a production one), starts the
# cluster and waits until it answers. Safe to run again: each step is skipped when done.
# Usage: scripts/postgres.sh        then  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
set -euo pipefail

PORT="${PGPORT:-5432}"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The client (psql) may be installed without the server: look for the server's binary.
if ! command -v pg_lsclusters >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian's postgresql package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends postgresql >/dev/null \
    || { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends postgresql >/dev/null; }
fi

VERSION="$(basename "$(dirname "$(dirname "$(ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")")")"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  as_root pg_createcluster "$VERSION" main --port "$PORT" >&2
fi
CONF="/etc/postgresql/$VERSION/main"

# Trust the postgres user on loopback: the first matching line of pg_hba.conf wins.
MARK="# schemata test access (scripts/postgres.sh)"
if ! grep -qF "$MARK" "$CONF/pg_hba.conf"; then
  as_root sed -i "1i $MARK\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust" "$CONF/pg_hba.conf"
  pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online \
    && as_root pg_ctlcluster "$VERSION" main reload >&2
fi

if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  # pg_ctlcluster prints notes ("Removed stale pid file.") on stdout; stdout is only the URL.
  as_root pg_ctlcluster "$VERSION" main start >&2
fi

PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')"
for _ in $(seq 1 100); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    exit 0
  fi
  sleep 0.2
done
echo "PostgreSQL $VERSION did not answer on 127.0.0.1:$PORT within 20 s; see /var/log/postgresql/" >&2
exit 1
