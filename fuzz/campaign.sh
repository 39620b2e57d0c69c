#!/usr/bin/env bash
# Runs fuzz targets one after another, each until 10 million executions or an hour, whichever
# comes first, and logs libFuzzer's output to fuzz/logs/<target>.log (the figures
# docs/reliability.md records). Crashes land in fuzz/artifacts/<target>/.
#   bash fuzz/campaign.sh csv number libsvm vw spec checkpoint
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/logs
for t in "$@"; do
    cargo +nightly fuzz run -s none --debug-assertions "$t" -- \
        -runs=10000000 -max_total_time=${MAX_SECONDS:-3600} -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        > "fuzz/logs/$t.log" 2>&1
    echo "$t: exit $? $(grep -E '^Done' "fuzz/logs/$t.log")"
done
