#!/usr/bin/env bash
# Issue 5 side by side: the peers (River, scikit-learn, VW) on T1 and T6, then tidewater's
# learning loops (library, data in memory) and `tidewater eval` end to end from the same
# files, in one session. Figures go to $OUT (default /work/peers/out/linear). benches/run.sh
# runs the tidewater half (--skip-peers) and BENCHMARKS.md's T1 and T6 tables come from it.
#
#   PEERS_DATA=/work/peers/data bash benches/peers/linear.sh [--skip-peers]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${PEERS_DATA:-/work/peers/data}
OUT=${OUT:-/work/peers/out/linear}
SHARED=${SHARED:-../shared}
mkdir -p "$OUT"
echo "start: $(uptime)" > "$OUT/load.txt"

if [[ "${1:-}" != "--skip-peers" ]]; then
    PEERS_DATA="$DATA" PEERS_OUT="$OUT/peers" python3 "$SHARED/peers/run_peers.py" --tasks T1,T6 \
        > "$OUT/peers.log" 2>&1
    echo "after peers: $(uptime)" >> "$OUT/load.txt"
fi

cargo build --release --bin tidewater -q
cargo bench -p tidewater-linear --bench peers_loop -q 2>"$OUT/loop.stderr" \
    | grep '^{' > "$OUT/library.jsonl"
echo "after library loops: $(uptime)" >> "$OUT/load.txt"

: > "$OUT/cli.jsonl"
for i in 1 2 3; do
    ./target/release/tidewater eval --model logistic_regression \
        --data "$DATA/hyperplane_1m.csv" --json >> "$OUT/cli.jsonl"
    ./target/release/tidewater eval --model ftrl \
        --data "$DATA/sparse_hashed.vw" --bits 20 --json >> "$OUT/cli.jsonl"
    ./target/release/tidewater eval --model ftrl \
        --data "$DATA/sparse_hashed.svm" --bits 20 --json >> "$OUT/cli.jsonl"
done
echo "end: $(uptime)" >> "$OUT/load.txt"
cat "$OUT/load.txt"
