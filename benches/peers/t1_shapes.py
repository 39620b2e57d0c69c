#!/usr/bin/env python3
"""T1 beyond its headline shape: River's LogisticRegression on 50 dense features, with text
labels, and with sample weights (issue 16: no fast path may fit T1's ten numeric columns only).

Writes $PEERS_DATA/hyperplane50_200k.csv once (River 0.26.1's
`Hyperplane(seed=42, n_features=50, mag_change=0.001, noise_percentage=0.05)`, 200,000 rows,
header x0..x49,y; untimed), then times River's two-call protocol on it, data in memory as a
list of dicts (parsing excluded, as run_peers.py times T1), best of $REPEAT (default 3):

- dense50: `predict_proba_one(x)` then `learn_one(x, y)` with y a bool;
- text_labels: the labels are the strings "pos" and "neg"; River's binary linear models take
  bools only, so the loop passes `y == "pos"`, what a River user writes;
- weights: `learn_one(x, y, w)` with w = 0.5, 1, 2 in turn (tidewater's loop gives the same).

Prints one JSON object per shape: {"task": "T1S/<shape>", "peer": "river", "rows",
"learn_s", "rows_per_sec", "accuracy", "log_loss"}. The tidewater side is
`PEERS_TASKS=T1S cargo bench -p tidewater-linear --bench peers_loop`.

Usage: PEERS_DATA=/work/peers/data python3 benches/peers/t1_shapes.py   (~1-2 min)
"""

import csv
import itertools
import json
import math
import os
import time

from river import linear_model
from river.datasets import synth

DATA = os.environ.get("PEERS_DATA", "/work/peers/data")
PATH = os.path.join(DATA, "hyperplane50_200k.csv")
ROWS = 200_000
FEATURES = 50
REPEAT = int(os.environ.get("REPEAT", "3"))
WEIGHTS = (0.5, 1.0, 2.0)


def write_data():
    stream = synth.Hyperplane(seed=42, n_features=FEATURES, mag_change=0.001,
                              noise_percentage=0.05)
    tmp = PATH + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{j}" for j in range(FEATURES)] + ["y"])
        for x, y in itertools.islice(stream, ROWS):
            w.writerow([repr(x[j]) for j in range(FEATURES)] + [int(y)])
    os.replace(tmp, PATH)


def load():
    xs, ys = [], []
    with open(PATH, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        names = header[:-1]
        for row in r:
            xs.append({k: float(v) for k, v in zip(names, row[:-1])})
            ys.append(row[-1] == "1")
    return xs, ys


def run(xs, ys, shape):
    model = linear_model.LogisticRegression()
    stored = [0.5] * len(ys)
    labels = ["pos" if y else "neg" for y in ys] if shape == "text_labels" else None
    start = time.perf_counter()
    if shape == "dense50":
        for i, (x, y) in enumerate(zip(xs, ys)):
            stored[i] = model.predict_proba_one(x).get(True, 0.5)
            model.learn_one(x, y)
    elif shape == "text_labels":
        for i, (x, y) in enumerate(zip(xs, labels)):
            stored[i] = model.predict_proba_one(x).get(True, 0.5)
            model.learn_one(x, y == "pos")
    else:
        for i, (x, y) in enumerate(zip(xs, ys)):
            stored[i] = model.predict_proba_one(x).get(True, 0.5)
            model.learn_one(x, y, WEIGHTS[i % 3])
    secs = time.perf_counter() - start
    correct = sum((p > 0.5) == y for p, y in zip(stored, ys))
    loss = -sum(math.log(min(max(p if y else 1 - p, 1e-15), 1 - 1e-15))
                for p, y in zip(stored, ys))
    return secs, correct / len(ys), loss / len(ys)


def main():
    if not os.path.exists(PATH):
        write_data()
    xs, ys = load()
    for shape in ("dense50", "text_labels", "weights"):
        best = min((run(xs, ys, shape) for _ in range(REPEAT)), key=lambda r: r[0])
        secs, acc, ll = best
        print(json.dumps({"task": f"T1S/{shape}", "peer": "river", "rows": len(ys),
                          "learn_s": round(secs, 4), "rows_per_sec": round(len(ys) / secs),
                          "accuracy": round(acc, 4), "log_loss": round(ll, 4)}), flush=True)


if __name__ == "__main__":
    main()
