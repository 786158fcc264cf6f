#!/usr/bin/env bash
# Reproduces the relay figures in BENCHMARKS.md:
#  1. ingest: 64 keep-alive connections of signed deliveries against the bare hyper server and
#     against `hookscope relay` (durability full, the default; rate limits off), same run;
#  2. end-to-end latency sender -> relay -> `listen --relay` -> app, at a steady low rate and
#     under load, next to the same sender straight at the app;
#  3. catch-up: 10,000 deliveries buffered at the relay, then `listen --relay` started: time
#     until the laptop has committed all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-64}
SECS=${SECS:-10}
CATCHUP=${CATCHUP:-10000}
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cargo build --release --quiet --bin hookscope --example loadgen --example relay_latency
HS=target/release/hookscope
LG=target/release/examples/loadgen
LAT=target/release/examples/relay_latency
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
channel() { $HS relay channel add --json --db "$1" | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["channel"], v["token"])'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, $CONNS connections, ${SECS}s each"
BARE=$(free_port); $LG serve "$BARE" & pids+=($!); wait_port "$BARE"
RELAY=$(free_port)
read -r CH TOKEN < <(channel "$TMP/relay.db")
$HS relay --port "$RELAY" --db "$TMP/relay.db" --ip-rate 0 --channel-rate 0 > /dev/null & pids+=($!); wait_port "$RELAY"
$LG load "http://127.0.0.1:$BARE/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/bare:         /'
$LG load "http://127.0.0.1:$RELAY/c/$CH/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/relay-full:   /'
$LG load "http://127.0.0.1:$BARE/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/bare-1:       /'
$LG load "http://127.0.0.1:$RELAY/c/$CH/dataspike/hook" 1 "$SECS" "$SECRET" | sed 's/^/relay-full-1: /'
echo "deliveries the relay holds: $($HS relay channel list --json --db "$TMP/relay.db" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored"])')"

echo "# end-to-end latency (a fresh channel, laptop connected)"
read -r CH2 TOKEN2 < <(channel "$TMP/relay.db")
APP=$(free_port)
HOOKSCOPE_RELAY_TOKEN=$TOKEN2 $HS listen --no-tui --port 0 --db "$TMP/laptop.db" --secret "$SECRET" \
  --relay "http://127.0.0.1:$RELAY/c/$CH2" --forward-to "http://127.0.0.1:$APP" > /dev/null 2>&1 & pids+=($!)
sleep 1
for rate in 20 500; do
  $LAT "$APP" "http://127.0.0.1:$APP/direct" "$rate" "$SECS" "$SECRET" | sed "s/^/direct-$rate:  /"
  $LAT "$APP" "http://127.0.0.1:$RELAY/c/$CH2/hook" "$rate" "$SECS" "$SECRET" | sed "s/^/relayed-$rate: /"
done

echo "# catch-up of $CATCHUP buffered deliveries"
read -r CH3 TOKEN3 < <(channel "$TMP/relay.db")
$HS send --event AML_SCREENING --count "$CATCHUP" --concurrency 32 --secret "$SECRET" \
  --to "http://127.0.0.1:$RELAY/c/$CH3/hook" > /dev/null 2>&1
python3 - "$HS" "$TMP/catchup.db" "http://127.0.0.1:$RELAY/c/$CH3" "$TOKEN3" "$CATCHUP" <<'PY'
import subprocess, sys, time, json
hs, db, url, token, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
start = time.monotonic()
p = subprocess.Popen([hs, "listen", "--json", "--port", "0", "--db", db, "--relay", url,
                      "--relay-token", token], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
count, connected = 0, None
for line in p.stdout:
    v = json.loads(line)
    if v.get("event") == "relay" and v.get("state") == "connected" and connected is None:
        connected = time.monotonic()
    elif "event" not in v:
        count += 1
        if count == n:
            break
end = time.monotonic()
p.terminate(); p.wait()
print(json.dumps({"catch_up": n, "seconds_from_start": round(end - start, 2),
                  "seconds_from_connected": round(end - (connected or start), 2),
                  "per_second": round(n / (end - (connected or start)))}))
PY
