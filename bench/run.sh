#!/usr/bin/env bash
# Fleet's benchmark, one command: installs mosquitto, PostgreSQL and pgbench when missing, starts
# throw-away servers on loopback, builds Release, runs every figure of issue 8 and writes
# docs/benchmarks.md. Bounded: every step has a fixed size and duration (< 20 min in all).
#
#   bench/run.sh                 # the full run
#   FLEET_BENCH_QUICK=1 bench/run.sh   # small sizes and short windows, for trying the harness
#   bench/run.sh p1 p2           # only some steps (lag p1 p2 p7 p5 p3 p4 p6); the report then goes to
#                                # bench/out/benchmarks-partial.md, docs/benchmarks.md is left alone
#
# Ports (loopback only, below the ephemeral range 32768-60999 so no outgoing connection holds one,
# and below the 20000-32700 the test hosts pick from): PostgreSQL 14432, mosquitto 14883, silo HTTP 14080 / MQTT 14884 /
# Orleans 14111+14300, in-process silos 14112-14113 / 14301-14302.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK="${FLEET_BENCH_QUICK:-0}"
PG_PORT="${FLEET_BENCH_PG_PORT:-14432}"
MOSQUITTO_PORT=14883
HTTP_PORT=14080
MQTT_PORT=14884
SOURCES=127.0.0.2-127.0.0.9
KEY="fleet-bench-admin-key-0123456789abcdef"
if [ "$QUICK" = 1 ]; then
  TWIN_BUDGET=60s; COMMAND_DEVICES=200; COMMAND_RATE=200; INGEST_DEVICES=2000; HOLD_DEVICES=3000; TWIN_COUNTS=20000,100000; QUERY_DEVICES=30000; WINDOW=8s; WARMUP=4s; LAG_FOR=40s
  DEMO=(Lamps=1200 ParkingBays=300 AccessPoints=30 Meters=1470)
else
  TWIN_BUDGET=180s; COMMAND_DEVICES=1000; COMMAND_RATE=1000; INGEST_DEVICES=12000; HOLD_DEVICES=19400; TWIN_COUNTS=100000,1000000; QUERY_DEVICES=300000; WINDOW=15s; WARMUP=8s; LAG_FOR=60s
  DEMO=(Lamps=8000 ParkingBays=2000 AccessPoints=200 Meters=9300)
fi

STEPS=("$@")
want() { [ ${#STEPS[@]} -eq 0 ] || [[ " ${STEPS[*]} " == *" $1 "* ]]; } # is step $1 part of this run?
show() { grep -E "$1" || true; } # the lines of a step's output worth printing
log() { printf '\n== %s  %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# --- what the benchmark needs --------------------------------------------------------------------
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || command -v pgbench >/dev/null 2>&1 || need+=(postgresql-contrib)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
fi
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PGBENCH=$( [ -x "$PG_BIN/pgbench" ] && echo "$PG_BIN/pgbench" || command -v pgbench)

# Every connection is a file descriptor, in the silo and in the generator alike.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

WORK=$(mktemp -d /tmp/fleet-bench.XXXXXX)
RESULTS="$WORK/results"
mkdir -p "$RESULTS"
PIDS=()
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------------
log "building Release (fleet-bench and the silo it starts)"
dotnet build bench/Fleet.Bench -c Release -o bench/out -nologo -clp:ErrorsOnly -v:q
BENCH=(dotnet "$ROOT/bench/out/fleet-bench.dll")

# --- reference servers -----------------------------------------------------------------------------
log "starting PostgreSQL on 127.0.0.1:$PG_PORT and mosquitto on 127.0.0.1:$MOSQUITTO_PORT"
mkdir -p "$WORK/pg" && chown postgres:postgres "$WORK" "$WORK/pg" 2>/dev/null || true
as_postgres "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w start \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" >/dev/null
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE fleet_bench" >/dev/null
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')

cat > "$WORK/mosquitto.conf" <<EOF
listener $MOSQUITTO_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 100
log_dest stderr
EOF
"$MOSQUITTO" -c "$WORK/mosquitto.conf" 2> "$WORK/mosquitto.log" & MOSQUITTO_PID=$!; PIDS+=("$MOSQUITTO_PID")
MOSQUITTO_VERSION=$("$MOSQUITTO" -h 2>/dev/null | head -n 1 | awk '{print $3}' || true)

start_silo() { # data-dir, extra settings as Key=Value under Fleet:
  local data=$1; shift
  local env=(Fleet__DataDirectory="$data" Fleet__Auth__BootstrapAdminKey="$KEY" Fleet__Mqtt__Port=$MQTT_PORT
             Fleet__Orleans__SiloPort=14111 Fleet__Orleans__GatewayPort=14300 Logging__LogLevel__Default=Warning)
  for setting in "$@"; do env+=("Fleet__${setting%%=*}=${setting#*=}"); done
  env "${env[@]}" dotnet "$ROOT/bench/out/Fleet.Silo.dll" --urls "http://127.0.0.1:$HTTP_PORT" > "$data.log" 2>&1 &
  SILO_PID=$!; PIDS+=("$SILO_PID")
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "the silo did not start; its log:"; tail -n 30 "$data.log"; return 1
}
stop_silo() { kill "$SILO_PID" 2>/dev/null || true; wait "$SILO_PID" 2>/dev/null || true; }
wait_for_demo() { # the demo credentials file appears once every device is provisioned
  for _ in $(seq 1 600); do [ -f "$1/demo-devices.csv" ] && return 0; sleep 1; done; return 1
}

# --- index lag: the demo start-up burst (issue 5) ------------------------------------------------
if want lag; then
log "index lag: the default demo fleet starting up on SQLite (provisioning + live devices), $LAG_FOR"
start_silo "$WORK/demo"
"${BENCH[@]}" index-lag --url "http://127.0.0.1:$HTTP_PORT" --key "$KEY" --duration "$LAG_FOR" --out "$RESULTS/lag.json" | show "^index"
stop_silo
fi

# --- P1 ingest and P7 connections: one silo with a provisioned fleet ------------------------------
if want p1 || want p2 || want p7; then
log "provisioning a fleet for P1/P7 (${DEMO[*]})"
demo_settings=(); for setting in "${DEMO[@]}"; do demo_settings+=("Demo__$setting"); done
start_silo "$WORK/fleet" "${demo_settings[@]}" Demo__LiveDevices=false Mqtt__MessagesPerSecond=50 Mqtt__Burst=100
wait_for_demo "$WORK/fleet"
CREDENTIALS="$WORK/fleet/demo-devices.csv"

if want p1; then
log "P1 ingest: $INGEST_DEVICES devices, QoS 1 telemetry every 0.5 s, into Fleet"
"${BENCH[@]}" ingest --target fleet --endpoint 127.0.0.1:$MQTT_PORT --credentials "$CREDENTIALS" --devices $INGEST_DEVICES \
  --interval 500ms --warmup $WARMUP --measure $WINDOW --sources $SOURCES --server-pid "$SILO_PID" --out "$RESULTS/p1-fleet.json" | show "^fleet"

log "P1 ingest: the same generator against mosquitto (publisher → broker → one subscriber)"
"${BENCH[@]}" ingest --target mosquitto --endpoint 127.0.0.1:$MOSQUITTO_PORT --credentials "$CREDENTIALS" --devices $INGEST_DEVICES \
  --interval 500ms --warmup $WARMUP --measure $WINDOW --sources $SOURCES --server-pid "$MOSQUITTO_PID" --out "$RESULTS/p1-mosquitto.json" | show "^mosquitto"
fi

if want p2; then
log "P2 command round trip: $COMMAND_RATE commands/s to $COMMAND_DEVICES simulated lamps, through Fleet's HTTP API"
"${BENCH[@]}" commands --target fleet --url "http://127.0.0.1:$HTTP_PORT" --key "$KEY" --endpoint 127.0.0.1:$MQTT_PORT \
  --credentials "$CREDENTIALS" --devices $COMMAND_DEVICES --rate $COMMAND_RATE --duration $WINDOW --out "$RESULTS/p2-fleet.json" | show "^fleet"
log "P2 again at a tenth of the rate"
"${BENCH[@]}" commands --target fleet --url "http://127.0.0.1:$HTTP_PORT" --key "$KEY" --endpoint 127.0.0.1:$MQTT_PORT \
  --credentials "$CREDENTIALS" --devices $COMMAND_DEVICES --rate $((COMMAND_RATE / 10)) --duration $WINDOW --out "$RESULTS/p2-fleet-low.json" | show "^fleet"
log "P2 reference: the same request/response through mosquitto with the same device clients"
"${BENCH[@]}" commands --target mosquitto --endpoint 127.0.0.1:$MOSQUITTO_PORT \
  --credentials "$CREDENTIALS" --devices $COMMAND_DEVICES --rate $COMMAND_RATE --duration $WINDOW --out "$RESULTS/p2-mosquitto.json" | show "^mosquitto"
fi

stop_silo
if want p7; then
log "P7 connections: a fresh silo on the same store; $HOLD_DEVICES devices connect and stay"
stop_silo
start_silo "$WORK/fleet" "${demo_settings[@]}" Demo__LiveDevices=false
sleep 10 # let the fresh silo settle before its memory is taken as the baseline
"${BENCH[@]}" connections --endpoint 127.0.0.1:$MQTT_PORT --credentials "$CREDENTIALS" --devices $HOLD_DEVICES \
  --sources $SOURCES --server-pid "$SILO_PID" --out "$RESULTS/p7.json" | show "connections held"
stop_silo
fi
fi

# --- P5 failover: the cluster acceptance test, which measures it -----------------------------------
if want p5; then
log "P5 failover: three silos on PostgreSQL, 1,000 simulated devices, kill -9 of one"
FLEET_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=fleet_bench" FLEET_BENCH_FAILOVER_OUT="$RESULTS/p5.json" \
  dotnet test test/Fleet.Cluster.Tests -c Release --nologo --filter "FullyQualifiedName~FailoverTests" 2>&1 | show "(Passed|Failed)!|reconnected"
fi

# --- P3 resident twins ------------------------------------------------------------------------------
if want p3; then
log "P3 resident twins: $TWIN_COUNTS twins in an in-process silo"
"${BENCH[@]}" twins --counts $TWIN_COUNTS --budget $TWIN_BUDGET --out "$RESULTS/p3.json" | show "^[0-9].* twins|^twin state|^an activation"
fi

# --- P4 durable writes ------------------------------------------------------------------------------
if want p4; then
log "P4 durable writes: Fleet on PostgreSQL vs pgbench's jsonb upsert"
"${BENCH[@]}" writes --pg-port "$PG_PORT" --pgbench "$PGBENCH" --clients 16 --duration $WINDOW --out "$RESULTS/p4.json" | show "^(Fleet|pgbench|provisioned)"
fi

# --- P6 fleet query ---------------------------------------------------------------------------------
if want p6; then
log "P6 fleet query over $QUERY_DEVICES devices, SQLite then PostgreSQL"
"${BENCH[@]}" query --store sqlite --sqlite "$WORK/index.db" --devices $QUERY_DEVICES --out "$RESULTS/p6-sqlite.json" | show "^(sqlite|postgres|filled|the index)"
"${BENCH[@]}" query --store postgres --pg-port "$PG_PORT" --devices $QUERY_DEVICES --out "$RESULTS/p6-postgres.json" | show "^(sqlite|postgres|filled|the index)"
fi

# --- the report -----------------------------------------------------------------------------------
REPORT=docs/benchmarks.md; [ ${#STEPS[@]} -eq 0 ] || REPORT=bench/out/benchmarks-partial.md
log "writing $REPORT (results kept in bench/out/last-results; bench/out/last-report.sh writes the report again, e.g. after editing bench/findings.md)"
rm -rf bench/out/last-results && cp -r "$RESULTS" bench/out/last-results
report=("${BENCH[@]}" report --results "$ROOT/bench/out/last-results" --out "$REPORT" --findings bench/findings.md \
  --load "$LOAD" --nofile "$NOFILE" --mosquitto-version "${MOSQUITTO_VERSION:-?}" --postgres-version "$PG_VERSION" \
  --p2-note "Not measured: the command benchmark did not finish (its output is in the run's log above)." \
  --p5-note "Not measured: the failover test did not finish (its output is in the run's log above)." \
  --p7-note "One silo process may open $NOFILE files here (ulimit -n, hard limit; raising it is not permitted on this machine), and every MQTT connection is one, so one silo cannot hold 50,000 on this machine; memory per connection × 50,000 says what it would need.")
printf '#!/usr/bin/env bash\ncd "%s"\n%s\n' "$ROOT" "$(printf '%q ' "${report[@]}")" > bench/out/last-report.sh && chmod +x bench/out/last-report.sh
"${report[@]}"
