#!/usr/bin/env bash
# Issue 12 side by side: MOA's Java loops (T2J: HoeffdingTree, HoeffdingAdaptiveTree,
# AdaptiveRandomForest, data in memory) on agrawal_1m and sea_1m, then tidewater's learning
# loops (library, data in memory, MOA's two calls per row; the fused step beside) and
# `tidewater eval` end to end from the CSV files, in one session. Figures go to $OUT
# (default /work/peers/out/trees). benches/run.sh runs the tidewater half (--skip-peers) and
# BENCHMARKS.md's T2 tables come from it.
#
#   PEERS_DATA=/work/peers/data bash benches/peers/trees.sh [--skip-peers]
#
# MOA's forest runs at a few thousand rows per second: the T2J task takes 15-30 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${PEERS_DATA:-/work/peers/data}
OUT=${OUT:-/work/peers/out/trees}
SHARED=${SHARED:-../shared}
mkdir -p "$OUT"
echo "start: $(uptime)" > "$OUT/load.txt"

cargo build --release --bin tidewater -q
cargo bench -p tidewater-trees --bench peers_loop --no-run -q

if [[ "${1:-}" != "--skip-peers" ]]; then
    PEERS_DATA="$DATA" PEERS_OUT="$OUT/peers" python3 "$SHARED/peers/run_peers.py" --tasks T2J \
        > "$OUT/peers.log" 2>&1
    echo "after peers: $(uptime)" >> "$OUT/load.txt"
fi

PEERS_DATA="$DATA" PEERS_SETS=agrawal_1m,sea_1m PEERS_REPEAT=3 \
    cargo bench -p tidewater-trees --bench peers_loop -q 2>"$OUT/loop.stderr" \
    | grep '^{' > "$OUT/library.jsonl"
echo "after library loops: $(uptime)" >> "$OUT/load.txt"

: > "$OUT/cli.jsonl"
for set in agrawal_1m sea_1m; do
    for model in hoeffding_tree "hoeffding_adaptive_tree(seed=42)" "adaptive_random_forest(seed=42)"; do
        reps=3
        [[ "$model" == adaptive_random_forest* ]] && reps=1
        for ((i = 0; i < reps; i++)); do
            ./target/release/tidewater eval --model "$model" \
                --data "$DATA/$set.csv" --json >> "$OUT/cli.jsonl"
        done
    done
done
echo "end: $(uptime)" >> "$OUT/load.txt"
cat "$OUT/load.txt"
