#!/bin/bash
# The benchmarks in one go: the versioning workload (bench/workload.md) on the Python reference
# (specstar 0.12.3) and on specstar for Rust, on the same machine in the same run; the machine's
# own limits beside them (the disk's fsync rate, raw rusqlite and tokio-postgres baselines, a
# bare axum handler); HTTP load with wrk; the scale runs and their plot. Prints the tables and
# every goal of issue 18 with its measured ratio, met or missed.
#
#   bench/compare.sh                     # everything, N=10000
#   N=2000 DUR=5s SKIP=scale bench/compare.sh
#
# Settings (environment):
#   N        resources of the in-process workload (default 10000)
#   PG_N     resources of the postgres runs, reference and Rust (default 2000, as the baseline)
#   PG       server URL without a database (default postgresql://root@127.0.0.1:5432); each
#            postgres run gets a fresh database, dropped after
#   DUR      wrk duration per route (default 15s)
#   SCALE    sizes of the scale run (default 10000,100000,1000000)
#   REVS     revision counts of the deep-history run (default 1,100,1000)
#   SKIP     comma-separated parts to leave out: ref,rust,pg,http,scale
#   OUT      results directory (default target/bench-results/<UTC time>)
# Every figure is also left in OUT as the JSON line its run printed.
set -uo pipefail
export RUST_BACKTRACE=0  # a failed run says why in one line

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
N=${N:-10000}
PG_N=${PG_N:-2000}
PG=${PG:-postgresql://root@127.0.0.1:5432}
DUR=${DUR:-15s}
SCALE=${SCALE:-10000,100000,1000000}
REVS=${REVS:-1,100,1000}
SKIP=${SKIP:-}
OUT=${OUT:-target/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
VENV=target/bench-venv
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

skip() { [[ ",$SKIP," == *",$1,"* ]]; }
say() { printf '== %s\n' "$*" >&2; }

# --- tools: the reference in a venv, wrk, the release binaries --------------------------------
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import specstar, uvicorn, psycopg, psycopg2.pool, matplotlib' 2>/dev/null; then
  say "installing the reference (specstar 0.12.3) in $VENV"
  python3 -m venv "$VENV" || exit 1
  "$VENV/bin/pip" install -q 'specstar==0.12.3' fastapi uvicorn 'psycopg[binary]' psycopg2-binary matplotlib || exit 1
fi
PY=$root/$VENV/bin/python
if ! command -v wrk >/dev/null; then
  say "installing wrk"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; fi
  command -v wrk >/dev/null || { say "no wrk: HTTP runs skipped"; SKIP="$SKIP,http"; }
fi
say "building the release binaries"
cargo build --release -q -p specstar-bench || exit 1
BENCH=$root/target/release/specstar-bench
SERVER=$root/target/release/specstar-bench-server

{
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
  echo "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr),"
  echo "PostgreSQL $(psql "$PG/postgres" -tAc 'show server_version' 2>/dev/null || echo n/a),"
  echo "rustc $(rustc --version | cut -d' ' -f2), $("$PY" --version)"
} | tr '\n' ' ' > "$OUT/machine.txt"

# A fresh postgres database for one run; its URL on stdout.
fresh_db() {
  local db=specstar_bench_$1_$$
  psql "$PG/postgres" -qc "drop database if exists $db" >/dev/null 2>&1
  psql "$PG/postgres" -qc "create database $db" >/dev/null || return 1
  echo "$PG/$db"
}
drop_db() { psql "$PG/postgres" -qc "drop database if exists ${1##*/}" >/dev/null 2>&1; }

# --- the disk ---------------------------------------------------------------------------------
# The disk's 4 KiB write+fsync rate, the ceiling of one caller's durable writes. On a shared
# machine it moves with the neighbours' I/O, so it is taken just before and just after the Rust
# runs, on the disk their files are on; the report judges against the mean of the two.
fsync_rate() {
  say "the disk's write+fsync rate ($1)"
  "$BENCH" fsync-rate --n 1000 --dir "${TMPDIR:-/tmp}" > "$OUT/fsync-$1.json" || echo '{}' > "$OUT/fsync-$1.json"
}

# --- in-process: the reference ------------------------------------------------------------------
if ! skip ref; then
  for b in memory disk sqlite; do
    say "reference $b, n=$N"
    "$PY" bench/reference/specstar_lib.py --backend "$b" --n "$N" > "$OUT/ref-$b.json" \
      || echo "reference $b failed" >&2
  done
  if ! skip pg; then
    say "reference postgres, n=$PG_N"
    if url=$(fresh_db ref); then
      "$PY" bench/reference/specstar_lib.py --backend postgres --n "$PG_N" --pg "$url" \
        > "$OUT/ref-postgres.json" || echo "reference postgres failed" >&2
      drop_db "$url"
    fi
  fi
fi

# --- in-process: Rust ---------------------------------------------------------------------------
if ! skip rust; then
  fsync_rate before
  for s in memory sqlite; do
    say "rust $s, n=$N"
    "$BENCH" --store "$s" --n "$N" > "$OUT/rust-$s.json" || echo "rust $s failed" >&2
  done
  if ! skip pg; then
    say "rust postgres, n=$PG_N"
    if url=$(fresh_db rust); then
      "$BENCH" --store postgres --n "$PG_N" --database-url "$url" > "$OUT/rust-postgres.json" \
        || { echo "rust postgres failed" >&2; : > "$OUT/rust-postgres.json"; }
      drop_db "$url"
    fi
  fi
  fsync_rate after
  say "the machine's baselines: raw rusqlite lookups and batched inserts, raw tokio-postgres inserts"
  base_url=""
  if ! skip pg && base_url=$(fresh_db base); then :; else base_url=""; fi
  "$BENCH" baselines --n "$N" --pg-n "$PG_N" ${base_url:+--database-url "$base_url"} > "$OUT/baselines.json" \
    || echo "baselines failed" >&2
  [ -n "$base_url" ] && drop_db "$base_url"
fi

# --- HTTP ---------------------------------------------------------------------------------------
# Starts a server in the background, waits for it to answer, runs bench/http/run.sh, stops it.
http_run() { # name url command...
  local name=$1 url=$2; shift 2
  "$@" > "$OUT/server-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "$url/openapi.json" && break
    sleep 0.2
  done
  say "http $name"
  PATH="$root/$VENV/bin:$PATH" DUR=$DUR bench/http/run.sh "$url" > "$OUT/http-$name.txt" 2>>"$OUT/server-$name.log" \
    || echo "http $name failed" >&2
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
if ! skip http; then
  for s in memory sqlite; do
    dir=$(mktemp -d)
    http_run "ref-$s" http://127.0.0.1:8011 \
      env SS_BACKEND="$s" SS_ROOT="$dir" "$PY" -m uvicorn --app-dir bench/reference server:app \
        --host 127.0.0.1 --port 8011 --log-level warning --no-access-log
    rm -rf "$dir"
    dir=$(mktemp -d)
    http_run "rust-$s" http://127.0.0.1:8012 \
      "$SERVER" --store "$s" --data-dir "$dir" --addr 127.0.0.1:8012
    rm -rf "$dir"
  done
  # The HTTP baseline: a bare axum handler answering a real GET answer's bytes.
  body=$(mktemp)
  "$SERVER" --store memory --addr 127.0.0.1:8013 > "$OUT/server-bare-seed.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:8013/openapi.json && break; sleep 0.2; done
  id=$(curl -sf -H 'content-type: application/json' \
    -d '{"title": "Issue 000001: search returns duplicate rows", "status": "open", "severity": "high", "assignee": "user01"}' \
    http://127.0.0.1:8013/issue | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["resource_id"])')
  curl -sf "http://127.0.0.1:8013/issue/$id" > "$body"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  "$SERVER" --bare-body "$body" --addr 127.0.0.1:8013 >> "$OUT/server-bare.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:8013/x && break; sleep 0.2; done
  say "http bare handler ($(wc -c < "$body") bytes a GET)"
  printf 'get ' > "$OUT/http-bare-memory.txt"
  wrk -t2 -c32 -d"$DUR" -s bench/http/report.lua http://127.0.0.1:8013/issue/x | tail -1 >> "$OUT/http-bare-memory.txt"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  rm -f "$body"
fi

# --- scale --------------------------------------------------------------------------------------
if ! skip scale; then
  say "scale on the embedded store: sizes $SCALE, revisions $REVS"
  "$BENCH" scale --sizes "$SCALE" --revisions "$REVS" > "$OUT/scale.jsonl" || echo "scale failed" >&2
  "$PY" bench/plot.py "$OUT/scale.jsonl" "$OUT/scale.png" || echo "plot failed" >&2
fi

"$PY" bench/report.py "$OUT" | tee "$OUT/report.md"
say "results in $OUT"
