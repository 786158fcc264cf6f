#!/usr/bin/env bash
# Instructions per delivery of `hookscope listen` with and without the full-text index, the same
# binary: one store as shipped, one whose FTS insert trigger was dropped. Counted by
# bench/callgrind.sh, so the figure holds on a busy machine.
#   bench/fts_callgrind.sh BINARY [N]
set -euo pipefail
HS=$1
export N=${2:-1000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '{"hookscope_fixture":1,"method":"POST","path":"/x","headers":[],"body":"x"}' > "$T/f.json"
for mode in fts no-fts; do
  "$HS" import --db "$T/$mode.db" "$T/f.json" > /dev/null
done
python3 -c "import sqlite3; c=sqlite3.connect('$T/no-fts.db'); c.execute('DROP TRIGGER captures_fts_insert'); c.commit()"
"$(dirname "$0")/callgrind.sh" "$HS@$T/fts.db" "$HS@$T/no-fts.db"
