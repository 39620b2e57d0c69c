"""Peers of the clustering benchmark that `shared/peers/run_peers.py --tasks T4` does not run.

- scikit-learn's batch `KMeans(algorithm="lloyd", n_init=1)` from the first 8 rows of
  blobs_1m.csv as initial centers (tidewater's `init=first_rows`), data in memory, `fit`
  timed (best of 3), with its inertia and iteration count.
- River's stream clusterers (CluStream, DBSTREAM), with River's defaults and with settings
  that fit 8 blobs: CluStream on the first `STREAM_ROWS` rows (default 20,000: River's runs
  at under a thousand rows per second), DBSTREAM on the first `DB_ROWS` (default all),
  prequential (`predict_one` then `learn_one`), with the ARI of the predictions over all of
  those rows and on the last quarter.

    PEERS_DATA=/work/peers/data python3 benches/peers/cluster_peers.py > out.jsonl

One JSON object per line on standard output.
"""

import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

DATA = os.environ.get("PEERS_DATA", "/work/peers/data")
STREAM_ROWS = int(os.environ.get("STREAM_ROWS", "20000"))
DB_ROWS = int(os.environ.get("DB_ROWS", "1000000"))


def emit(**rec):
    print(json.dumps(rec), flush=True)


def main():
    t0 = time.perf_counter()
    df = pd.read_csv(os.path.join(DATA, "blobs_1m.csv"))
    parse_s = time.perf_counter() - t0
    y = df.pop("y").to_numpy()
    X = np.ascontiguousarray(df.to_numpy(dtype=np.float64))
    n = len(y)

    best = None
    for _ in range(3):
        km = KMeans(n_clusters=8, init=X[:8].copy(), n_init=1, algorithm="lloyd")
        t0 = time.perf_counter()
        km.fit(X)
        s = time.perf_counter() - t0
        if best is None or s < best[0]:
            best = (s, km)
    s, km = best
    tail = min(100_000, n // 10)
    emit(task="T4", data="blobs_1m", peer="sklearn KMeans lloyd n_init=1 init=first 8 rows",
         rows=n, seconds=round(s, 4), rows_per_sec=round(n / s, 1), parse_s=round(parse_s, 3),
         inertia=float(km.inertia_), n_iter=int(km.n_iter_),
         ari_last=round(float(adjusted_rand_score(y[-tail:], km.labels_[-tail:])), 5),
         threads=os.cpu_count())

    from river import cluster

    cols = list(df.columns)
    for name, make, limit in [
        ("river CluStream(seed=42)", lambda: cluster.CluStream(seed=42), STREAM_ROWS),
        ("river CluStream(seed=42, n_macro_clusters=8)",
         lambda: cluster.CluStream(seed=42, n_macro_clusters=8), STREAM_ROWS),
        ("river DBSTREAM()", lambda: cluster.DBSTREAM(), DB_ROWS),
        ("river DBSTREAM(clustering_threshold=4)",
         lambda: cluster.DBSTREAM(clustering_threshold=4), DB_ROWS),
    ]:
        m = min(limit, n)
        model = make()
        pred = []
        rows = (dict(zip(cols, r)) for r in X[:m].tolist())
        t0 = time.perf_counter()
        for x in rows:
            pred.append(model.predict_one(x))
            model.learn_one(x)
        s = time.perf_counter() - t0
        pred = np.array([-1 if p is None else p for p in pred])
        q = m // 4
        emit(task="T4", data="blobs_1m" if m == n else f"blobs_1m[:{m}]", peer=name, rows=m,
             seconds=round(s, 4), rows_per_sec=round(m / s, 1),
             ari=round(float(adjusted_rand_score(y[:m], pred)), 5),
             ari_last_quarter=round(float(adjusted_rand_score(y[m - q:m], pred[m - q:])), 5))


if __name__ == "__main__":
    sys.exit(main())
