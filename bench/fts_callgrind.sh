#!/usr/bin/env bash
# Instructions per delivery of `hookscope listen` with and without the full-text index, the same
# binary: one store as shipped, one whose FTS insert trigger was dropped. Counted by callgrind,
# so the figure holds on a busy machine (see bench/callgrind.sh, which this follows).
#   bench/fts_callgrind.sh BINARY [N]
set -euo pipefail
SECRET=whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
HS=$1
N=${2:-1000}
for mode in fts no-fts; do
  T=$(mktemp -d)
  printf '{"hookscope_fixture":1,"method":"POST","path":"/x","headers":[],"body":"x"}' > "$T/f.json"
  "$HS" import --db "$T/l.db" "$T/f.json" > /dev/null
  if [ "$mode" = no-fts ]; then
    python3 -c "import sqlite3; c=sqlite3.connect('$T/l.db'); c.execute('DROP TRIGGER captures_fts_insert'); c.commit()"
  fi
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" "$HS" listen --no-tui --port "$PORT" \
    --db "$T/l.db" --secret "$SECRET" > /dev/null 2>&1 &
  VP=$!
  for _ in $(seq 300); do (echo > /dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done
  for count in 100 "$N"; do
    "$HS" send --event AML_SCREENING --count "$count" --concurrency 4 --secret "$SECRET" \
      --to "http://127.0.0.1:$PORT/dataspike/hook" > "$T/send.out" 2>&1
  done
  kill -INT "$VP"; wait "$VP" || true
  TOTAL=$(grep -E '^(summary|totals):' "$T/cg.out" | awk '{print $2}' | head -1)
  echo "$mode: $TOTAL instructions for $((N + 100)) deliveries, $((TOTAL / (N + 100))) per delivery"
  rm -rf "$T"
done
