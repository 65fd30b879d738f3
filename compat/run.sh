#!/usr/bin/env bash
# HTTP compatibility check of the Rust server against the Python reference (specstar 0.12.3).
#
#   bash compat/run.sh [-v]
#
# Makes (once) a venv with the reference, builds the quickstart example, starts the reference
# (uvicorn, in-memory store) and the Rust quickstart server (a fresh data dir) on free ports of
# 127.0.0.1, waits for both, runs compat/check.py against them and stops both servers on exit.
# Arguments are passed to check.py (-v prints every step's shapes).
#
# Environment:
#   SPECSTAR_REF_VENV     the reference's venv (default: <repo>/target/ref-venv); made when it
#                         has no specstar 0.12.3
#   COMPAT_WAIT_SECONDS   how long to wait for each server to answer (default: 30)
#   CARGO_TARGET_DIR      honoured when looking for the built example
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
venv="${SPECSTAR_REF_VENV:-$repo/target/ref-venv}"
wait_seconds="${COMPAT_WAIT_SECONDS:-30}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

log() { printf 'compat: %s\n' "$*" >&2; }

# --- the reference's venv ------------------------------------------------------------------
has_reference() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as m
import uvicorn  # noqa: F401
assert m.version("specstar") == "0.12.3"
EOF
}
if ! has_reference; then
    log "making the reference venv in $venv (specstar 0.12.3, uvicorn)"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "specstar==0.12.3" uvicorn
    has_reference || { log "the venv at $venv still has no specstar 0.12.3"; exit 1; }
fi

# --- the Rust server -----------------------------------------------------------------------
log "building the quickstart example"
(cd "$repo" && cargo build --quiet --example quickstart)
quickstart="$target_dir/debug/examples/quickstart"
[ -x "$quickstart" ] || { log "no binary at $quickstart"; exit 1; }

# --- start both, stop both on exit ---------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/specstar-compat.XXXXXX")"
ref_pid=""
rust_pid=""
cleanup() {
    local status=$?
    for pid in "$ref_pid" "$rust_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
ref_port="$(free_port)"
rust_port="$(free_port)"
while [ "$rust_port" = "$ref_port" ]; do rust_port="$(free_port)"; done

log "starting the reference on 127.0.0.1:$ref_port"
"$venv/bin/python" -m uvicorn reference_app:app --app-dir "$here" \
    --host 127.0.0.1 --port "$ref_port" --log-level warning \
    >"$work/reference.log" 2>&1 &
ref_pid=$!

log "starting the Rust quickstart on 127.0.0.1:$rust_port"
"$quickstart" --data-dir "$work/data" --serve "127.0.0.1:$rust_port" \
    >"$work/rust.log" 2>&1 &
rust_pid=$!

# Waits until GET <url>/openapi.json answers 200, failing loudly when the server exits or the
# time is up.
wait_for() {
    local name=$1 url=$2 pid=$3 logfile=$4
    local deadline=$((SECONDS + wait_seconds))
    while :; do
        if python3 - "$url/openapi.json" <<'EOF' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
            log "$name answers at $url"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited before answering; its output:"
            sed 's/^/    /' "$logfile" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$name did not answer at $url within ${wait_seconds}s; its output:"
            sed 's/^/    /' "$logfile" >&2
            return 1
        fi
        sleep 0.2
    done
}
wait_for "the reference" "http://127.0.0.1:$ref_port" "$ref_pid" "$work/reference.log"
wait_for "the Rust server" "http://127.0.0.1:$rust_port" "$rust_pid" "$work/rust.log"

# --- the check -----------------------------------------------------------------------------
python3 "$here/check.py" \
    --reference "http://127.0.0.1:$ref_port" \
    --rust "http://127.0.0.1:$rust_port" "$@"
