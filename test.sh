#!/usr/bin/env bash
# Runs every Fleet test on a fresh machine: installs what the tests need when it is missing
# (PostgreSQL, mosquitto clients, Chromium), starts a throw-away PostgreSQL on loopback, runs
# `dotnet test`, and stops what it started. Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"

PG_PORT="${FLEET_TEST_PG_PORT:-55432}"
need=()
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)   # the browser tests drive Debian's Chromium (no browser download)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PG_DIR=$(mktemp -d /tmp/fleet-pg.XXXXXX)
chown postgres:postgres "$PG_DIR"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_postgres() {
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

echo "== starting PostgreSQL on 127.0.0.1:$PG_PORT"
as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" >/dev/null
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE fleet_test" >/dev/null
export FLEET_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=fleet_test"

echo "== building"
dotnet build Fleet.sln -warnaserror -nologo -clp:ErrorsOnly

echo "== testing"
log=$(mktemp /tmp/fleet-test.XXXXXX.log)
set +e
# One project at a time on this 2-core machine: the cluster tests (three silo processes under
# load) and the browser tests measure recovery, so they must not share the cores with the rest.
status=0
for project in $(ls -d test/*/ | grep -v Cluster) test/Fleet.Cluster.Tests/; do
  echo "== $project"
  dotnet test "$project" --no-build --nologo "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
done
set -e
# One plain closing line over all test assemblies.
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
