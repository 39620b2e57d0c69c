"""scikit-learn's batch logistic regression (L-BFGS) on CSV files read as one data set: the
outside reference of the parameter-server benchmark (benches/peers/ps.sh). Prints one JSON
line: reading and training seconds, iterations, the training log loss.

    python3 benches/peers/sklearn_lbfgs.py FILE.csv [FILE.csv ...]   (target: the last column)
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss


def main() -> int:
    t0 = time.perf_counter()
    frames = [pd.read_csv(f) for f in sys.argv[1:]]
    df = pd.concat(frames, ignore_index=True)
    x = df.iloc[:, :-1].to_numpy(dtype=np.float64)
    y = df.iloc[:, -1].to_numpy()
    read = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-6, max_iter=1000).fit(x, y)
    train = time.perf_counter() - t1
    ll = log_loss(y, model.predict_proba(x))
    print(json.dumps({"kind": "sklearn", "peer": "scikit-learn LogisticRegression(lbfgs, C=1, tol=1e-6)",
                      "rows": len(y), "read_seconds": read, "train_seconds": train,
                      "n_iter": int(model.n_iter_[0]), "log_loss": ll}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
