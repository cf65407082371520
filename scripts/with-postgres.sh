#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server on loopback:
#   scripts/with-postgres.sh .venv/bin/python -m pytest
# Installs Debian's postgresql when its binaries are missing, creates a cluster in a temporary folder,
# starts it on 127.0.0.1 and a free port (its socket in the same folder), creates a database, runs the
# command with DATABASE_URL=postgresql+psycopg://… and, whatever the command's result, stops the server
# and removes the folder. The command's exit status is the script's.
set -euo pipefail

PG_VERSION=${PG_VERSION:-15}
find_pg_bin() {
  local dir
  for dir in "${PG_BIN:-}" "/usr/lib/postgresql/$PG_VERSION/bin" /usr/lib/postgresql/*/bin; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

if ! PG_BIN=$(find_pg_bin); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's postgresql for the PostgreSQL test run..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # Debian's package creates and starts a cluster of its own on port 5432: ours does not need it.
    if command -v pg_ctlcluster >/dev/null; then pg_ctlcluster "$PG_VERSION" main stop 2>/dev/null || true; fi
  fi
  PG_BIN=$(find_pg_bin) || { echo "PostgreSQL's initdb/pg_ctl not found (apt-get install postgresql)" >&2; exit 1; }
fi

# PostgreSQL refuses to run as root: as root, the server runs as the "postgres" system user.
AS=()
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  AS=(runuser -u postgres --)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm-pg.XXXXXX")
DATA="$TMP/data"
LOG="$TMP/server.log"
if [ ${#AS[@]} -gt 0 ]; then chown postgres "$TMP"; fi
chmod 0700 "$TMP"

cleanup() {
  local status=$?
  if [ -f "$DATA/postmaster.pid" ]; then
    "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 \
      || "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "$status" != 0 ] && [ -f "$LOG" ] && [ -n "${PG_SHOW_LOG:-}" ]; then tail -n 50 "$LOG" >&2; fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=${PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}
DB=crm_test
USER_NAME=crm

"${AS[@]}" "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# Loopback only, a socket in our folder, and durability off: the cluster is thrown away after the run.
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o "\
 -c listen_addresses=127.0.0.1 -p $PORT -k $TMP -c max_connections=300\
 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
"${AS[@]}" "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h "$TMP" -p "$PORT" -U postgres -d postgres \
  -c "CREATE ROLE $USER_NAME LOGIN" -c "CREATE DATABASE $DB OWNER $USER_NAME" >/dev/null

export DATABASE_URL="postgresql+psycopg://$USER_NAME@127.0.0.1:$PORT/$DB"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (cluster in $TMP): DATABASE_URL=$DATABASE_URL" >&2
"$@"
