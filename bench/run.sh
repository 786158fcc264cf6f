#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: the same load (64 keep-alive connections sending
# signed Dataspike deliveries) against a bare hyper server that only answers 200, against
# `hookscope listen`, and through `listen --forward-to` the bare server.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-64}
SECS=${SECS:-10}
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cargo build --release --quiet --bin hookscope --example loadgen
# HOOKSCOPE=path/to/another/build compares that build in the same kind of run.
HS=${HOOKSCOPE:-target/release/hookscope}
LG=target/release/examples/loadgen
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

BARE=$(free_port); $LG serve "$BARE" & pids+=($!); wait_port "$BARE"
LISTEN=$(free_port); $HS listen --no-tui --port "$LISTEN" --db "$TMP/listen.db" --secret "$SECRET" > /dev/null & pids+=($!); wait_port "$LISTEN"
FWD=$(free_port); $HS listen --no-tui --port "$FWD" --db "$TMP/fwd.db" --secret "$SECRET" --forward-to "http://127.0.0.1:$BARE" > /dev/null & pids+=($!); wait_port "$FWD"
FULL=$(free_port); $HS listen --no-tui --port "$FULL" --db "$TMP/full.db" --secret "$SECRET" --durability full > /dev/null & pids+=($!); wait_port "$FULL"

echo "# $(date -u +%FT%TZ) $(nproc) cores, $CONNS connections, ${SECS}s each"
$LG load "http://127.0.0.1:$BARE/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/bare:    /'
$LG load "http://127.0.0.1:$LISTEN/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/listen:  /'
$LG load "http://127.0.0.1:$FWD/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/forward: /'
$LG load "http://127.0.0.1:$FULL/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/full:    /'
echo "# one connection, one request at a time: the latency forwarding adds"
$LG load "http://127.0.0.1:$BARE/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/bare-1:    /'
$LG load "http://127.0.0.1:$LISTEN/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/listen-1:  /'
$LG load "http://127.0.0.1:$FWD/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/forward-1: /'
echo "captures stored by listen: $($HS list --db "$TMP/listen.db" --json --limit 100000000 | wc -l)"
