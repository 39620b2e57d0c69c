#!/usr/bin/env bash
# Issue 14, the parameter server side by side in one run, into OUT/ps (JSON lines):
#   - batch logistic regression (L-BFGS, c=1, tol=1e-6) on hyperplane_1m.csv read twice
#     (2,000,000 rows, 10 features) by `tidewater fit`: rayon (fit alone), 1 and 2 in-process
#     workers, 1 and 2 timely processes on loopback (RAYON_NUM_THREADS=1 in each process),
#     and 2 processes each reading only its own copy (`--own-rows`);
#     best of REPEAT runs each (train_seconds and read_seconds from `fit --json`);
#   - scikit-learn's LogisticRegression(lbfgs, C=1, tol=1e-6) on the same rows (the outside
#     reference; benches/peers/sklearn_lbfgs.py);
#   - the cost of an empty round (ps/examples/barrier.rs) for both backends;
#   - BSP, SSP(2) and ASP sparse SGD with stragglers on sparse_hashed.svm
#     (ps/examples/ssp_sparse.rs);
#   - the same SGD from the command line (`fit --workers W --staleness S`), 1 and 2 workers,
#     and 2 timely processes (`fit --hosts --staleness S`), best of REPEAT runs, with the
#     training log loss.
#
#   PEERS_DATA=/work/peers/data OUT=/work/peers/out/ps bash benches/peers/ps.sh
#
# benches/run.sh calls it as its `ps` phase; benches/report.py renders OUT/ps.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${PEERS_DATA:-/work/peers/data}
OUT=${OUT:-/work/peers/out/ps}
REPEAT=${REPEAT:-3}
SPEC=${SPEC:-"logistic_regression(c=1,tol=1e-6)"}
mkdir -p "$OUT/ps"
R="$OUT/ps/results.jsonl"
: > "$R"

cargo build --release --quiet -p tidewater-cli
cargo build --release --quiet -p tidewater-ps --features distributed --examples
TW=target/release/tidewater
H="$DATA/hyperplane_1m.csv"

printf '{"kind":"meta","commit":"%s","started":"%s","load":"%s","spec":"%s","rows":2000000}\n' \
    "$(git rev-parse HEAD)" "$(date -Iseconds)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$SPEC" >> "$R"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

fit_once() { # label, then fit flags
    local label=$1; shift
    local line
    line=$("$TW" fit --model "$SPEC" --data "$H" "$H" --save "$OUT/ps/model.tw" --json "$@")
    printf '{"kind":"fit","label":"%s","run":%s}\n' "$label" "$line" >> "$R"
}

processes_once() { # n
    local n=$1 hosts="$OUT/ps/hosts.txt" i pids=()
    : > "$hosts"
    for ((i = 0; i < n; i++)); do echo "127.0.0.1:$(free_port)" >> "$hosts"; done
    for ((i = n - 1; i >= 1; i--)); do
        RAYON_NUM_THREADS=1 "$TW" fit --model "$SPEC" --data "$H" "$H" --save "$OUT/ps/model.p$i.tw" \
            --hosts "$hosts" --process "$i" --json > /dev/null &
        pids+=($!)
    done
    RAYON_NUM_THREADS=1 fit_once "processes $n" --hosts "$hosts" --process 0
    for p in "${pids[@]}"; do wait "$p"; done
}

# Two processes, each reading only its own copy of hyperplane_1m.csv (`--own-rows`): the same
# 2,000,000 rows, read half by each.
own_rows_once() {
    local hosts="$OUT/ps/hosts.txt" pid line
    printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$(free_port)" "$(free_port)" > "$hosts"
    RAYON_NUM_THREADS=1 "$TW" fit --model "$SPEC" --data "$H" --save "$OUT/ps/model.p1.tw" \
        --hosts "$hosts" --process 1 --own-rows --json > /dev/null &
    pid=$!
    line=$(RAYON_NUM_THREADS=1 "$TW" fit --model "$SPEC" --data "$H" --save "$OUT/ps/model.tw" \
        --hosts "$hosts" --process 0 --own-rows --json)
    wait "$pid"
    printf '{"kind":"fit","label":"processes 2, own rows","run":%s}\n' "$line" >> "$R"
}

for ((r = 0; r < REPEAT; r++)); do
    fit_once "rayon"
    fit_once "workers 1" --workers 1
    fit_once "workers 2" --workers 2
    processes_once 1
    processes_once 2
    own_rows_once
done

# SGD rounds from the command line (`fit --workers W --staleness S`) on sparse_hashed.svm:
# 1 and 2 workers under BSP, 2 under SSP(2), no straggler; the training log loss from
# `predict --proba` (benches/peers/log_loss.py).
SV="$DATA/sparse_hashed.svm"
SGD_SPEC="logistic_regression(optimizer=adagrad(lr=0.1))"
sgd_once() { # label, workers, staleness
    local line ll
    line=$("$TW" fit --model "$SGD_SPEC" --data "$SV" --bits 20 --save "$OUT/ps/sgd.tw" \
        --workers "$2" --staleness "$3" --batch-size 512 --json 2> /dev/null)
    ll=$("$TW" predict --load "$OUT/ps/sgd.tw" --data "$SV" --bits 20 --proba |
        python3 benches/peers/log_loss.py "$SV")
    printf '{"kind":"sgd_cli","label":"%s","spec":"%s","run":%s,"log_loss":%s}\n' \
        "$1" "$SGD_SPEC" "$line" "$ll" >> "$R"
}
# The same on two timely processes (`--hosts --staleness S`), each a worker.
sgd_processes_once() { # label, staleness
    local hosts="$OUT/ps/hosts.txt" pid line ll
    printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$(free_port)" "$(free_port)" > "$hosts"
    "$TW" fit --model "$SGD_SPEC" --data "$SV" --bits 20 --save "$OUT/ps/sgd.p1.tw" \
        --hosts "$hosts" --process 1 --staleness "$2" --batch-size 512 --json > /dev/null 2>&1 &
    pid=$!
    line=$("$TW" fit --model "$SGD_SPEC" --data "$SV" --bits 20 --save "$OUT/ps/sgd.tw" \
        --hosts "$hosts" --process 0 --staleness "$2" --batch-size 512 --json 2> /dev/null)
    wait "$pid"
    ll=$("$TW" predict --load "$OUT/ps/sgd.tw" --data "$SV" --bits 20 --proba |
        python3 benches/peers/log_loss.py "$SV")
    printf '{"kind":"sgd_cli","label":"%s","spec":"%s","run":%s,"log_loss":%s}\n' \
        "$1" "$SGD_SPEC" "$line" "$ll" >> "$R"
}
for ((r = 0; r < REPEAT; r++)); do
    sgd_once "1 worker, BSP" 1 0
    sgd_once "2 workers, BSP" 2 0
    sgd_once "2 workers, SSP(2)" 2 2
    sgd_processes_once "2 processes, BSP" 0
    sgd_processes_once "2 processes, SSP(2)" 2
done

python3 benches/peers/sklearn_lbfgs.py "$H" "$H" >> "$R"
target/release/examples/barrier | sed 's/^{/{"kind":"barrier",/' >> "$R"
target/release/examples/ssp_sparse "$DATA/sparse_hashed.svm" | sed 's/^{/{"kind":"sgd",/' >> "$R"
printf '{"kind":"end","finished":"%s","load":"%s"}\n' "$(date -Iseconds)" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$R"
echo "wrote $R"
