#!/usr/bin/env bash
# Issue 13 side by side on blobs_1m.csv (8 blobs, 10 features): scikit-learn's
# MiniBatchKMeans.partial_fit and River's KMeans (`run_peers.py --tasks T4`), scikit-learn's
# batch KMeans (lloyd, n_init=1, from the first 8 rows) and River's CluStream and DBSTREAM
# (benches/peers/cluster_peers.py), then tidewater's loops on the same rows in memory
# (`cargo bench -p tidewater-cluster --bench peers_loop`) and `tidewater fit` / `eval` end to
# end from the CSV, in one session. Figures go to $OUT (default /work/peers/out/cluster);
# benches/run.sh runs the tidewater half (--skip-peers) and BENCHMARKS.md's T4 tables come from it.
#
#   PEERS_DATA=/work/peers/data SHARED=../shared bash benches/peers/cluster.sh [--skip-peers]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${PEERS_DATA:-/work/peers/data}
OUT=${OUT:-/work/peers/out/cluster}
SHARED=${SHARED:-../shared}
mkdir -p "$OUT"
echo "start: $(uptime)" > "$OUT/load.txt"

cargo build --release --bin tidewater -q
cargo bench -p tidewater-cluster --bench peers_loop --no-run -q

if [[ "${1:-}" != "--skip-peers" ]]; then
    PEERS_DATA="$DATA" PEERS_OUT="$OUT/peers" python3 "$SHARED/peers/run_peers.py" --tasks T4 \
        > "$OUT/peers.log" 2>&1
    PEERS_DATA="$DATA" python3 benches/peers/cluster_peers.py > "$OUT/peers_extra.jsonl"
    echo "after peers: $(uptime)" >> "$OUT/load.txt"
fi

PEERS_DATA="$DATA" PEERS_REPEAT=3 cargo bench -p tidewater-cluster --bench peers_loop -q \
    2>"$OUT/loop.stderr" | grep '^{' > "$OUT/library.jsonl"
echo "after library loops: $(uptime)" >> "$OUT/load.txt"

: > "$OUT/cli.jsonl"
for i in 1 2 3; do
    ./target/release/tidewater fit --model "kmeans(init=first_rows,n_init=1)" \
        --data "$DATA/blobs_1m.csv" --target y --save "$OUT/kmeans.tw" --json >> "$OUT/cli.jsonl"
    ./target/release/tidewater eval --model "minibatch_kmeans(seed=42)" \
        --data "$DATA/blobs_1m.csv" --target y --json >> "$OUT/cli.jsonl"
done
# The stream clusterers on the rows River ran: CluStream on the first STREAM_ROWS rows (River's
# runs at under a thousand rows per second), DBSTREAM on all of them (DB_ROWS to take fewer:
# River's DBSTREAM(clustering_threshold=4) needs about ten minutes for the million).
head -n "$((${STREAM_ROWS:-20000} + 1))" "$DATA/blobs_1m.csv" > "$OUT/blobs_head.csv"
for model in "clustream(seed=42)" "clustream(seed=42,n_macro_clusters=8)" \
    "clustream(seed=42,n_macro_clusters=8,offline=lloyd)"; do
    ./target/release/tidewater eval --model "$model" --data "$OUT/blobs_head.csv" --target y \
        --json >> "$OUT/cli.jsonl"
done
DB_DATA="$DATA/blobs_1m.csv"
if [[ -n "${DB_ROWS:-}" ]]; then
    head -n "$((DB_ROWS + 1))" "$DATA/blobs_1m.csv" > "$OUT/blobs_db.csv"
    DB_DATA="$OUT/blobs_db.csv"
fi
for model in "dbstream" "dbstream(clustering_threshold=4)"; do
    ./target/release/tidewater eval --model "$model" --data "$DB_DATA" --target y \
        --json >> "$OUT/cli.jsonl"
done
echo "end: $(uptime)" >> "$OUT/load.txt"
cat "$OUT/load.txt"
