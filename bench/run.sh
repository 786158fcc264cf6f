#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: the same load (64 keep-alive connections sending
# signed Dataspike deliveries) against a bare hyper server that only answers 200, against
# `hookscope listen`, and through `listen --forward-to` the bare server; then forwarding's
# anchor, a bare hyper reverse proxy (`loadgen proxy`: no verification, no storage) to the same
# bare server. With wrk installed, the same servers are measured with wrk too (p50/p99/max;
# `WRK=0` skips it), on fresh databases.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-64}
SECS=${SECS:-10}
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cargo build --release --quiet --bin hookscope --example loadgen
# HOOKSCOPE=path/to/another/build compares that build in the same kind of run.
HS=${HOOKSCOPE:-${CARGO_TARGET_DIR:-target}/release/hookscope}
LG=${CARGO_TARGET_DIR:-target}/release/examples/loadgen
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

BARE=$(free_port); $LG serve "$BARE" & pids+=($!); wait_port "$BARE"
LISTEN=$(free_port); $HS listen --no-tui --port "$LISTEN" --db "$TMP/listen.db" --secret "$SECRET" > /dev/null & pids+=($!); wait_port "$LISTEN"
FWD=$(free_port); $HS listen --no-tui --port "$FWD" --db "$TMP/fwd.db" --secret "$SECRET" --forward-to "http://127.0.0.1:$BARE" > /dev/null & pids+=($!); wait_port "$FWD"
PROXY=$(free_port); $LG proxy "$PROXY" "http://127.0.0.1:$BARE" & pids+=($!); wait_port "$PROXY"
FULL=$(free_port); $HS listen --no-tui --port "$FULL" --db "$TMP/full.db" --secret "$SECRET" --durability full > /dev/null & pids+=($!); wait_port "$FULL"

echo "# $(date -u +%FT%TZ) $(nproc) cores, $CONNS connections, ${SECS}s each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
$LG load "http://127.0.0.1:$BARE/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/bare:    /'
$LG load "http://127.0.0.1:$LISTEN/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/listen:  /'
$LG load "http://127.0.0.1:$FWD/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/forward: /'
$LG load "http://127.0.0.1:$PROXY/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/proxy:   /'
$LG load "http://127.0.0.1:$FULL/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/full:    /'
echo "# one connection, one request at a time: the latency forwarding adds"
$LG load "http://127.0.0.1:$BARE/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/bare-1:    /'
$LG load "http://127.0.0.1:$LISTEN/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/listen-1:  /'
$LG load "http://127.0.0.1:$FWD/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/forward-1: /'
echo "captures stored by listen (loadgen runs): $($HS list --db "$TMP/listen.db" --json --limit 100000000 | wc -l)"
if [ "${WRK:-1}" != 0 ] && command -v wrk > /dev/null; then
  # wrk: one signed delivery repeated (signed at the start: the scheme's tolerance is 300 s),
  # 2 threads, $CONNS connections; fresh databases for listen and forward.
  $LG wrk-script "$SECRET" > "$TMP/post.lua"
  WLISTEN=$(free_port); $HS listen --no-tui --port "$WLISTEN" --db "$TMP/wlisten.db" --secret "$SECRET" > /dev/null & pids+=($!); wait_port "$WLISTEN"
  WFWD=$(free_port); $HS listen --no-tui --port "$WFWD" --db "$TMP/wfwd.db" --secret "$SECRET" --forward-to "http://127.0.0.1:$BARE" > /dev/null & pids+=($!); wait_port "$WFWD"
  w() {
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$TMP/post.lua" "http://127.0.0.1:$1/dataspike/hook" |
      awk '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /^ +Latency / && $2!="Distribution"{max=$4}
           /Requests\/sec/{r=$2} /Non-2xx/{bad=$NF}
           END{printf "{\"per_s\":%.0f,\"p50\":\"%s\",\"p99\":\"%s\",\"max\":\"%s\",\"non_2xx\":%d}\n", r, p50, p99, max, bad}'
  }
  echo "# wrk, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk bare:    $(w "$BARE")"
  echo "wrk listen:  $(w "$WLISTEN") wal $(stat -c %s "$TMP/wlisten.db-wal") bytes after"
  echo "wrk forward: $(w "$WFWD")"
  echo "wrk proxy:   $(w "$PROXY")"
fi
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg)"
