#!/usr/bin/env bash
# Reproduces the relay TLS figures in BENCHMARKS.md ("Relay over TLS: HTTP/1.1, HTTP/2, handshakes,
# renewal"):
#  1. ingest in one run: plain HTTP/1.1, TLS + HTTP/1.1 and TLS + HTTP/2 against three relays
#     (each its own database; durability full, the default; rate limits off);
#  2. the cost of a TLS handshake (TCP connect + handshake, one at a time);
#  3. a steady stream of deliveries to a relay whose ACME certificate (from a local Pebble) is
#     renewed every RENEW_S seconds: the p99 of each second, with the renewals marked.
# Needs: openssl, python3, and for 3. the Debian package pebble.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-64}
SECS=${SECS:-10}
STEADY_CONNS=${STEADY_CONNS:-8}
STEADY_SECS=${STEADY_SECS:-40}
RENEW_S=${RENEW_S:-10}
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cargo build --release --quiet --bin hookscope --example loadgen
TARGET=${CARGO_TARGET_DIR:-target}
HS=$TARGET/release/hookscope
LG=$TARGET/release/examples/loadgen
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
channel() { $HS relay channel add --json --db "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["channel"])'; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$TMP/relay.key" -out "$TMP/relay.pem" 2>/dev/null
export LOADGEN_CA=$TMP/relay.pem

echo "# $(date -u +%FT%TZ) $(nproc) cores, $CONNS connections, ${SECS}s each"
PLAIN=$(free_port); TLS=$(free_port)
CP=$(channel "$TMP/plain.db"); CT=$(channel "$TMP/tls.db")
$HS relay --port "$PLAIN" --db "$TMP/plain.db" --ip-rate 0 --channel-rate 0 > /dev/null & pids+=($!)
$HS relay --port "$TLS" --db "$TMP/tls.db" --ip-rate 0 --channel-rate 0 \
  --tls-cert "$TMP/relay.pem" --tls-key "$TMP/relay.key" > /dev/null & pids+=($!)
wait_port "$PLAIN"; wait_port "$TLS"
$LG load "http://127.0.0.1:$PLAIN/c/$CP/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/plain-h1: /'
$LG load "https://localhost:$TLS/c/$CT/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/tls-h1:   /'
LOADGEN_H2=1 $LG load "https://localhost:$TLS/c/$CT/hook" "$CONNS" "$SECS" "$SECRET" | sed 's/^/tls-h2:   /'
$LG load "http://127.0.0.1:$PLAIN/c/$CP/hook" 1 "$SECS" "$SECRET" | sed 's/^/plain-h1-1: /'
$LG load "https://localhost:$TLS/c/$CT/hook" 1 "$SECS" "$SECRET" | sed 's/^/tls-h1-1:   /'
LOADGEN_H2=1 $LG load "https://localhost:$TLS/c/$CT/hook" 1 "$SECS" "$SECRET" | sed 's/^/tls-h2-1:   /'
echo "# TLS handshakes (ECDSA P-256 certificate, TLS 1.3)"
$LG handshakes "https://localhost:$TLS/" 2000 | sed 's/^/handshake: /'

command -v pebble >/dev/null || { echo "# no pebble: renewal run skipped"; exit 0; }
echo "# renewal every ${RENEW_S}s under a steady load ($STEADY_CONNS connections, TLS h1)"
ACME=$(free_port); MGMT=$(free_port); DNS=$(free_port); DNSM=$(free_port); HTTP=$(free_port); RP=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$TMP/pebble.key" -out "$TMP/pebble.pem" 2>/dev/null
cat > "$TMP/pebble.json" <<JSON
{"pebble":{"listenAddress":"127.0.0.1:$ACME","managementListenAddress":"127.0.0.1:$MGMT",
"certificate":"$TMP/pebble.pem","privateKey":"$TMP/pebble.key","httpPort":$HTTP,"tlsPort":$RP,
"ocspResponderURL":"","externalAccountBindingRequired":false}}
JSON
pebble-challtestsrv -dns01 "127.0.0.1:$DNS" -management "127.0.0.1:$DNSM" -defaultIPv4 127.0.0.1 \
  -defaultIPv6 "" -http01 "" -https01 "" -tlsalpn01 "" > /dev/null 2>&1 & pids+=($!)
PEBBLE_VA_NOSLEEP=1 pebble -config "$TMP/pebble.json" -dnsserver "127.0.0.1:$DNS" > "$TMP/pebble.log" 2>&1 & pids+=($!)
wait_port "$ACME"
CR=$(channel "$TMP/renew.db")
$HS relay --json --port "$RP" --db "$TMP/renew.db" --ip-rate 0 --channel-rate 0 --acme localhost \
  --acme-email bench@example.com --acme-directory "https://127.0.0.1:$ACME/dir" --acme-ca-cert "$TMP/pebble.pem" \
  --state-dir "$TMP/state" --acme-http-port 0 --acme-renew-after "${RENEW_S}s" > "$TMP/renew.out" 2>&1 & pids+=($!)
for _ in $(seq 300); do grep -q '"obtained"' "$TMP/renew.out" && break; sleep 0.1; done
python3 - "$MGMT" "$TMP/pebble.pem" "$TMP/root.pem" <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
open(sys.argv[3], "wb").write(urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/roots/0", context=ctx).read())
PY
# Stamp each certificate event with the time it was printed.
tail -n0 -f "$TMP/renew.out" | while IFS= read -r l; do echo "$(date +%s.%N) $l"; done > "$TMP/stamped" & pids+=($!)
START=$(date +%s.%N)
LOADGEN_CA=$TMP/root.pem LOADGEN_TIMELINE=1 $LG load "https://localhost:$RP/c/$CR/hook" "$STEADY_CONNS" "$STEADY_SECS" "$SECRET" > "$TMP/steady.out"
sleep 0.5
python3 - "$START" "$TMP/stamped" "$TMP/steady.out" <<'PY'
import json, sys
start = float(sys.argv[1])
marks = {}
for line in open(sys.argv[2]):
    at, _, rest = line.partition(" ")
    try:
        v = json.loads(rest)
    except ValueError:
        continue
    if v.get("event") == "certificate" and v.get("state") in ("renewing", "obtained"):
        sec = int(float(at) - start)
        marks.setdefault(sec, []).append(v["state"])
summary = None
for line in open(sys.argv[3]):
    v = json.loads(line)
    if "second" not in v:
        summary = v
        continue
    print(f"second {v['second']:3d}: ok {v['ok']:6d}  p50 {v['p50_ms']:6.2f} ms  p99 {v['p99_ms']:7.2f} ms  max {v['max_ms']:7.2f} ms  {' '.join(marks.get(v['second'], []))}")
print("steady:", json.dumps(summary))
PY
echo "certificates Pebble issued: $(grep -c 'Issued certificate' "$TMP/pebble.log")"
