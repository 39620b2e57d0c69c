#!/usr/bin/env bash
# The soak run of docs/reliability.md: ROWS rows (default 100 million) of a drifting
# generator through `tidewater eval` with a pipeline and drift retraining, in release mode,
# with a line every EVERY rows (default 10 million) on resident memory and throughput. Passes
# when resident memory after warm-up (the first line) grows less than 5 % to the last line,
# and the last interval's rows/s is within 10 % of the first's. Writes OUT/progress.jsonl,
# OUT/result.json and OUT/summary.md; exit 1 when a bound fails.
#
#   bash benches/soak/soak.sh                 # 100M rows, about a minute on two cores
#   ROWS=20000000 EVERY=2000000 bash benches/soak/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-100000000}
EVERY=${EVERY:-10000000}
OUT=${OUT:-target/soak}
MODEL=${MODEL:-"standard_scaler|logistic_regression"}
SYNTH=${SYNTH:-"hyperplane(seed=7,n_features=10,n_drift_features=5,mag_change=0.001,noise_percentage=0.05)"}
RETRAIN=${RETRAIN:-adwin}
mkdir -p "$OUT"
cargo build --release --quiet -p tidewater-cli
start=$(date -u +%FT%TZ)
target/release/tidewater eval --model "$MODEL" --synth "$SYNTH" --limit "$ROWS" \
    --retrain "$RETRAIN" --print-every "$EVERY" --json \
    2> "$OUT/progress.jsonl" > "$OUT/result.json"
python3 - "$OUT" "$start" "$MODEL" "$SYNTH" "$RETRAIN" "$ROWS" <<'PY'
import json, os, sys
out, start, model, synth, retrain, rows = sys.argv[1:]
lines = [json.loads(l) for l in open(f"{out}/progress.jsonl") if l.startswith("{")]
result = json.load(open(f"{out}/result.json"))
first, last = lines[0], lines[-1]
growth = (last["rss_bytes"] - first["rss_bytes"]) / first["rss_bytes"]
speed = last["rows_per_sec"] / first["rows_per_sec"] - 1
events = result.get("events", [])
md = [
    f"Soak run {start}, load average {os.getloadavg()[0]:.2f} at the end: `{model}` on "
    f"`{synth}`, `--retrain {retrain}`, {int(rows):,} rows.",
    "",
    "| rows | seconds | rows/s (this interval) | rows per CPU second (this interval) | resident memory (MiB) |",
    "|---:|---:|---:|---:|---:|",
]
prev_rows, prev_cpu = 0, 0.0
for l in lines:
    cpu = l.get("cpu_seconds") or 0.0
    per_cpu = (l["rows"] - prev_rows) / (cpu - prev_cpu) if cpu > prev_cpu else float("nan")
    l["rows_per_cpu_sec"] = per_cpu
    prev_rows, prev_cpu = l["rows"], cpu
    md.append(f"| {l['rows']:,} | {l['seconds']:.1f} | {l['rows_per_sec']:,.0f} | "
              f"{per_cpu:,.0f} | {l['rss_bytes'] / 2**20:.1f} |")
md += [
    "",
    f"Memory from the first line to the last: {growth * 100:+.2f} % (bound: below +5 %). "
    f"Throughput, last interval against the first: {speed * 100:+.2f} % by the clock, "
    f"{(last['rows_per_cpu_sec'] / first['rows_per_cpu_sec'] - 1) * 100:+.2f} % per CPU second "
    "(bound: within 10 %). "
    f"Drift events: {len(events)} ({sum(e['kind'] == 'drift' for e in events)} drifts); "
    f"final accuracy {result['metrics'].get('accuracy')}, {result['rows_per_sec']:,.0f} rows/s "
    "overall.",
]
open(f"{out}/summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
cpu_speed = last["rows_per_cpu_sec"] / first["rows_per_cpu_sec"] - 1
ok = growth < 0.05 and abs(cpu_speed) <= 0.10
sys.exit(0 if ok else 1)
PY
