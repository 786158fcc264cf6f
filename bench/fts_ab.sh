#!/usr/bin/env bash
# What the full-text index costs listen: the same load against two listeners of the same binary,
# one on a store as shipped, one on a store whose FTS insert trigger was dropped (BENCHMARKS.md).
# Needs release builds of hookscope and the loadgen example (bench/run.sh makes them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-8}
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
HS=target/release/hookscope; LG=target/release/examples/loadgen
TMP=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
printf '{"hookscope_fixture":1,"method":"POST","path":"/x","headers":[],"body":"x"}' > "$TMP/f.json"
for d in fts nofts; do $HS import --db "$TMP/$d.db" "$TMP/f.json" > /dev/null; done
python3 -c "import sqlite3; c=sqlite3.connect('$TMP/nofts.db'); c.execute('DROP TRIGGER captures_fts_insert'); c.commit()"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; exit 1; }
BARE=$(free_port); $LG serve "$BARE" & pids+=($!); wait_port "$BARE"
A=$(free_port); $HS listen --no-tui --port "$A" --db "$TMP/fts.db" --secret "$SECRET" > /dev/null & pids+=($!); wait_port "$A"
B=$(free_port); $HS listen --no-tui --port "$B" --db "$TMP/nofts.db" --secret "$SECRET" > /dev/null & pids+=($!); wait_port "$B"
for round in 1 2; do
$LG load "http://127.0.0.1:$BARE/dataspike/hook" 64 "$SECS" "$SECRET" | sed 's/^/bare:   /'
$LG load "http://127.0.0.1:$A/dataspike/hook" 64 "$SECS" "$SECRET" | sed 's/^/fts:    /'
$LG load "http://127.0.0.1:$B/dataspike/hook" 64 "$SECS" "$SECRET" | sed 's/^/no-fts: /'
done
