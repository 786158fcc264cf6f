#!/bin/sh
# Runs fuzz targets one after another, each for SECONDS (default 360), one job, niced, then
# minimizes its corpus. Logs: fuzz/logs/<target>.log (not committed).
# Usage: fuzz/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")"
secs=${1:-360}
[ $# -gt 0 ] && shift
targets=${*:-signature_header fixture_import body_inspect head_parse header_codec relay_frame stripe_header standard_header github_header slack_header shopify_header query_parse config_file relay_store}
mkdir -p logs
for t in $targets; do
    echo "== $t: ${secs}s"
    status=0
    RUSTC_BOOTSTRAP=1 nice -n 10 cargo fuzz run "$t" -- \
        -jobs=1 -max_total_time="$secs" -max_len=16384 -print_final_stats=1 || status=$?
    # With -jobs libFuzzer writes the run's output to fuzz-0.log.
    mv fuzz-0.log "logs/$t.log"
    grep -E '^(#[0-9]+ +DONE|stat::|Done )' "logs/$t.log" || true
    if [ "$status" -ne 0 ]; then
        echo "== $t failed (exit $status): see logs/$t.log and artifacts/$t/"
        exit "$status"
    fi
    RUSTC_BOOTSTRAP=1 nice -n 10 cargo fuzz cmin "$t" >"logs/$t.cmin.log" 2>&1
    echo "== $t corpus after cmin: $(ls "corpus/$t" | wc -l) files, $(du -sb "corpus/$t" | cut -f1) bytes"
done
