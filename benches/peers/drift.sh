#!/usr/bin/env bash
# Issue 7 side by side: tidewater's ADWIN, Page-Hinkley and DDM against River and MOA on the
# peers' drift_stream_10m.bin (10M values, change at 5,000,000), in one session.
#
#   benches/peers/drift.sh
#
# Environment: PEERS (the folder with run_peers.py; default ../shared/peers beside the
# workspace), PEERS_DATA / PEERS_OUT (as for run_peers.py), OUT (where tidewater's figures go;
# default $PEERS_OUT/tidewater_drift), RUNS (default 5), SKIP_PEERS=1 to reuse the peers' last
# T3 results, SKIP_EXACT=1 to skip the full River comparison.
#
# Steps: build; write the stream as a one-column CSV (header `x`); record the load; run
# `run_peers.py --tasks T3` (River in Python, MOA through capymoa's jar with Java); time the
# library's per-value `update` and block `update_many` over the 10M values (median of RUNS
# each, examples/drift_stream.rs); time
# `tidewater drift --data <csv> --json` end to end (reading included, median of RUNS); record
# the load again; compare detections with River's (every index, not only the head) and print
# the figures and ratios as a markdown section (OUT/report.md). benches/run.sh runs the
# tidewater half (SKIP_PEERS=1) and BENCHMARKS.md's T3 tables come from it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-$(cd "$ROOT/../shared/peers" 2>/dev/null && pwd || true)}
export PEERS_DATA=${PEERS_DATA:-$PEERS/data}
export PEERS_OUT=${PEERS_OUT:-$PEERS}
RUNS=${RUNS:-5}
BIN_DATA=$PEERS_DATA/drift_stream_10m.bin
OUT=${OUT:-$PEERS_OUT/tidewater_drift}
mkdir -p "$OUT"
CSV=$OUT/drift_stream_10m.csv

if [ ! -f "$BIN_DATA" ]; then
  echo "missing $BIN_DATA: run the peers' make_data.py first (PEERS_DATA=$PEERS_DATA)" >&2
  exit 2
fi

cd "$ROOT"
cargo build --release --bin tidewater
cargo build --release -p tidewater-drift --example drift_stream
TW=$ROOT/target/release/tidewater

if [ ! -f "$CSV" ]; then
  python3 - "$BIN_DATA" "$CSV" <<'PY'
import sys
import numpy as np
x = np.fromfile(sys.argv[1], dtype="<f8")
with open(sys.argv[2], "w") as f:
    f.write("x\n")
    f.write("\n".join(map(repr, x.tolist())))
    f.write("\n")
PY
fi

echo "load before: $(uptime)" | tee "$OUT/load.txt"
if [ "${SKIP_PEERS:-0}" != 1 ]; then
  python3 "$PEERS/run_peers.py" --tasks T3
fi
"$ROOT/target/release/examples/drift_stream" "$BIN_DATA" --runs "$RUNS" > "$OUT/library.jsonl"
for d in adwin page_hinkley ddm; do
  for i in $(seq 1 "$RUNS"); do
    "$TW" drift --detector "$d" --data "$CSV" --json > "$OUT/cli_${d}_$i.json"
  done
done
echo "load after: $(uptime)" | tee -a "$OUT/load.txt"

EXACT=(--exact --exact-json "$OUT/exact.json")
[ "${SKIP_EXACT:-0}" = 1 ] && EXACT=()
python3 "$ROOT/benches/peers/drift_report.py" "$OUT" "$PEERS_OUT/results/peers.json" "$BIN_DATA" \
  --runs "$RUNS" "${EXACT[@]}" | tee "$OUT/report.md"
