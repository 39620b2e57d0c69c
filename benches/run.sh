#!/usr/bin/env bash
# Every side-by-side benchmark (tasks T1-T6 of ../shared/peers) in one run, and BENCHMARKS.md
# regenerated from that run only (issue 16).
#
#   PEERS_DATA=/work/peers/data SHARED=../shared OUT=/work/peers/out/all bash benches/run.sh
#   OUT=/work/peers/out/all bash benches/run.sh --report-only   # re-render from an existing OUT
#
# One session, sequential, on an otherwise idle machine: about an hour after the build, most of
# it the peers (run_peers.py ~15-20 min for T1-T6 without T2J, T2J (MOA's forest) 15-30 min,
# cluster_peers.py ~12 min of which River's DBSTREAM on 1M rows ~10), tidewater's sides ~8 min:
#   1. record the date, the machine, the versions and the command (OUT/meta.json);
#   2. build every tidewater binary and bench in release, once;
#   3. the peers, once: run_peers.py --tasks T1,T2,T2J,T3,T4,T5,T6 (PEERS_OUT=OUT/peers), then
#      benches/peers/cluster_peers.py (the T4 peers run_peers.py does not run);
#   4. tidewater's side of every task: the section scripts with their peers skipped
#      (benches/peers/linear.sh: T1, T6; trees.sh: T2; drift.sh: T3; cluster.sh: T4), each into
#      OUT/<section>, the T5 loop (tidewater-preprocessing's peers_loop bench), and T1's other
#      shapes (benches/peers/t1_shapes.py for River, the linear peers_loop's T1S task);
#   5. python3 benches/report.py OUT > BENCHMARKS.md (also kept as OUT/BENCHMARKS.md).
# `uptime` is recorded before and after every phase (OUT/load.txt), each phase's output goes to
# OUT/logs/<phase>.log, and a failed phase is recorded (OUT/phases.txt) without stopping the
# run (except the build: without it nothing can be measured): the report then prints "—" for
# its figures and names the file that lacked them.
#
# OUT must be new or empty: run_peers.py merges into an existing results/peers.json, and the
# report must read this run's figures only.
#
# Environment: PEERS_DATA (data sets; default /work/peers/data), SHARED (the folder holding
# peers/run_peers.py; default ../shared), OUT (default /work/peers/out/all), RUNS (runs per
# drift median; default 5), TASKS (run_peers.py tasks; default T1,T2,T2J,T3,T4,T5,T6),
# STREAM_ROWS (rows for CluStream on both sides; default 20000), DB_ROWS (rows for DBSTREAM on
# both sides; default all 1,000,000; 20000 saves about ten minutes of River; cluster.sh reads
# it from the environment), CARGO_BUILD_JOBS (cargo's own; e.g. 1 on a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DATA=${PEERS_DATA:-/work/peers/data}
SHARED=${SHARED:-../shared}
OUT=${OUT:-/work/peers/out/all}
RUNS=${RUNS:-5}
TASKS=${TASKS:-T1,T2,T2J,T3,T4,T5,T6}
STREAM_ROWS=${STREAM_ROWS:-20000}

render() {
    python3 "$ROOT/benches/report.py" "$OUT" > "$OUT/BENCHMARKS.md"
    cp "$OUT/BENCHMARKS.md" "$ROOT/BENCHMARKS.md"
    echo "wrote BENCHMARKS.md from $OUT"
}

if [[ "${1:-}" == "--report-only" ]]; then
    [[ -d "$OUT" ]] || { echo "no run at $OUT (set OUT)" >&2; exit 2; }
    render
    exit 0
elif [[ -n "${1:-}" ]]; then
    echo "usage: [PEERS_DATA=..] [SHARED=..] [OUT=..] bash benches/run.sh [--report-only]" >&2
    exit 2
fi

if [[ -d "$OUT" && -n "$(ls -A "$OUT")" ]]; then
    echo "$OUT is not empty: give a new OUT (the report must read one run only)" >&2
    exit 2
fi
[[ -f "$SHARED/peers/run_peers.py" ]] || { echo "no $SHARED/peers/run_peers.py (set SHARED)" >&2; exit 2; }
[[ -f "$DATA/hyperplane_1m.csv" ]] || { echo "no data in $DATA (run make_data.py; set PEERS_DATA)" >&2; exit 2; }
mkdir -p "$OUT/logs"
DATA=$(cd "$DATA" && pwd)
SHARED=$(cd "$SHARED" && pwd)
OUT=$(cd "$OUT" && pwd)

# The command as run, with every setting that changes what is measured.
COMMAND="PEERS_DATA=$DATA SHARED=$SHARED OUT=$OUT RUNS=$RUNS TASKS=$TASKS STREAM_ROWS=$STREAM_ROWS"
[[ -n "${DB_ROWS:-}" ]] && COMMAND+=" DB_ROWS=$DB_ROWS"
COMMAND+=" bash benches/run.sh"

# 1. Date, machine, versions.
COMMAND="$COMMAND" python3 - "$OUT/meta.json" <<'PY'
import datetime, json, os, platform, subprocess, sys
from importlib import metadata

def run(*cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (p.stdout or p.stderr).strip()
    except Exception as e:  # noqa: BLE001
        return f"unavailable ({type(e).__name__})"

lscpu = {}
for line in run("lscpu").splitlines():
    k, _, v = line.partition(":")
    lscpu[k.strip()] = v.strip()
mem_kb = 0
try:
    mem_kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
except Exception:  # noqa: BLE001
    pass
pkgs = {}
for p in ("river", "scikit-learn", "vowpalwabbit", "capymoa", "numpy", "pandas"):
    try:
        pkgs[p] = metadata.version(p)
    except metadata.PackageNotFoundError:
        pkgs[p] = "not installed"
dirty = run("git", "status", "--porcelain", "--untracked-files=no")
meta = {
    "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    "command": os.environ["COMMAND"],
    "cpu": lscpu.get("Model name", "unknown"),
    "cpus": lscpu.get("CPU(s)"),
    "threads_per_core": lscpu.get("Thread(s) per core"),
    "memory_gib": round(mem_kb / 2**20, 1),
    "kernel": platform.release(),
    "tidewater_commit": run("git", "rev-parse", "HEAD"),
    "tidewater_dirty_files": len(dirty.splitlines()) if dirty else 0,
    "rustc": run("rustc", "--version"),
    "python": platform.python_version(),
    "packages": pkgs,
    "java": run("java", "-version").splitlines()[0] if run("java", "-version") else "unavailable",
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY

# `uptime` with a label, one line per call: "<ISO time>\t<label>\t<uptime>".
load() {
    printf '%s\t%s\t%s\n' "$(date -Iseconds)" "$1" "$(uptime)" >> "$OUT/load.txt"
}

# Runs one phase: its output to OUT/logs/NAME.log, the load before and after, its status to
# OUT/phases.txt. A failure is recorded and the run goes on. (`set -e` does not act inside a
# function called as `f || ...`, so the phase functions below chain their steps with &&.)
phase() {
    local name=$1
    shift
    echo "[$(date +%H:%M:%S)] $name"
    load "before $name"
    local rc=0
    "$@" > "$OUT/logs/$name.log" 2>&1 || rc=$?
    load "after $name"
    if [[ $rc == 0 ]]; then
        printf '%s\tok\n' "$name" >> "$OUT/phases.txt"
    else
        printf '%s\tfailed (exit %s; see logs/%s.log)\n' "$name" "$rc" "$name" >> "$OUT/phases.txt"
        echo "  $name failed (exit $rc): $OUT/logs/$name.log" >&2
    fi
}

# 2. Build once (the section scripts' own cargo calls then find everything fresh).
build() {
    cargo build --release --bin tidewater &&
        cargo build --release -p tidewater-drift --example drift_stream || return
    for crate in tidewater-linear tidewater-trees tidewater-cluster tidewater-preprocessing; do
        cargo bench --no-run -p "$crate" --bench peers_loop || return
    done
}

# 3. The peers, once.
peers() {
    mkdir -p "$OUT/peers" &&
        PEERS_DATA="$DATA" PEERS_OUT="$OUT/peers" python3 "$SHARED/peers/run_peers.py" --tasks "$TASKS"
}
cluster_peers() {
    PEERS_DATA="$DATA" STREAM_ROWS="$STREAM_ROWS" DB_ROWS="${DB_ROWS:-1000000}" \
        python3 benches/peers/cluster_peers.py > "$OUT/peers/cluster_peers.jsonl"
}

# 4. Tidewater's sides.
linear() { OUT="$OUT/linear" PEERS_DATA="$DATA" SHARED="$SHARED" bash benches/peers/linear.sh --skip-peers; }
trees() { OUT="$OUT/trees" PEERS_DATA="$DATA" SHARED="$SHARED" bash benches/peers/trees.sh --skip-peers; }
drift() {
    PEERS="$SHARED/peers" PEERS_DATA="$DATA" PEERS_OUT="$OUT/peers" OUT="$OUT/drift" RUNS="$RUNS" \
        SKIP_PEERS=1 bash benches/peers/drift.sh
}
cluster() {
    OUT="$OUT/cluster" PEERS_DATA="$DATA" SHARED="$SHARED" STREAM_ROWS="$STREAM_ROWS" \
        bash benches/peers/cluster.sh --skip-peers
}
shapes() {
    mkdir -p "$OUT/shapes" &&
        PEERS_DATA="$DATA" python3 benches/peers/t1_shapes.py > "$OUT/shapes/peers.jsonl" &&
        PEERS_DATA="$DATA" PEERS_TASKS=T1S PEERS_REPEAT=3 cargo bench -p tidewater-linear \
            --bench peers_loop -q 2> "$OUT/shapes/loop.stderr" | grep '^{' > "$OUT/shapes/library.jsonl"
}
# The parameter server (issue 14): its own script writes OUT/ps/results.jsonl.
ps() { OUT="$OUT" PEERS_DATA="$DATA" bash benches/peers/ps.sh; }
# Serving (issue 15): the bench prints its tables; meta.txt holds the commit, times and load.
serving() {
    mkdir -p "$OUT/serving" &&
        printf 'commit %s\nstarted %s\nload %s\n' "$(git rev-parse HEAD)" "$(date -Is)" \
            "$(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/serving/meta.txt" &&
        cargo bench -p tidewater-cli --bench serving -q > "$OUT/serving/report.md" \
            2> "$OUT/serving/stderr" &&
        printf 'finished %s\nload_after %s\n' "$(date -Is)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
            >> "$OUT/serving/meta.txt"
}
scaler() {
    mkdir -p "$OUT/scaler" &&
        PEERS_DATA="$DATA" PEERS_REPEAT=3 cargo bench -p tidewater-preprocessing --bench peers_loop \
            -q 2> "$OUT/scaler/loop.stderr" | grep '^{' > "$OUT/scaler/library.jsonl"
}

phase build build
# Without the binaries every tidewater phase would fail: stop before the peers' 40 minutes.
grep -q $'^build\tok$' "$OUT/phases.txt" || { echo "the build failed: $OUT/logs/build.log" >&2; exit 1; }
phase peers peers
phase cluster_peers cluster_peers
phase linear linear
phase trees trees
phase drift drift
phase cluster cluster
phase scaler scaler
phase shapes shapes
phase ps ps
phase serving serving
python3 - "$OUT/meta.json" <<'PY'
import datetime, json, sys
m = json.load(open(sys.argv[1]))
m["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY

# 5. The report.
render
cat "$OUT/phases.txt"
