#!/usr/bin/env bash
# Instructions per delivery of `hookscope listen`, counted by callgrind: repeatable whatever
# else the machine is doing, so builds or stores can be compared on a busy box.
#   bench/callgrind.sh RUN...        RUN is BINARY, or BINARY@STORE to start from a copy of STORE
#   N=5000 bench/callgrind.sh OLD/target/release/hookscope NEW/target/release/hookscope
# Each run listens under callgrind; N signed AML_SCREENING deliveries (after 100 warm-up ones)
# are sent with `hookscope send --count` from the first run's binary; the process's total
# instruction count is divided by the deliveries it answered.
set -euo pipefail
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
N=${N:-2000}
SENDER=${1%%@*}
for run in "$@"; do
  HS=${run%%@*}
  T=$(mktemp -d)
  if [ "$run" != "$HS" ]; then cp "${run#*@}" "$T/l.db"; fi
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" "$HS" listen --no-tui --port "$PORT" \
    --db "$T/l.db" --secret "$SECRET" > /dev/null 2>&1 &
  VP=$!
  for _ in $(seq 300); do (echo > /dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done
  for count in 100 "$N"; do
    "$SENDER" send --event AML_SCREENING --count "$count" --concurrency 4 --secret "$SECRET" \
      --to "http://127.0.0.1:$PORT/dataspike/hook" > "$T/send.out" 2>&1
  done
  kill -INT "$VP"; wait "$VP" || true
  TOTAL=$(grep -E '^(summary|totals):' "$T/cg.out" | awk '{print $2}' | head -1)
  echo "$run: $TOTAL instructions for $((N + 100)) deliveries, $((TOTAL / (N + 100))) per delivery"
  rm -rf "$T"
done
