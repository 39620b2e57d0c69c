#!/usr/bin/env python3
"""Mean log loss of `tidewater predict --proba` (CSV on stdin: prediction, then one column per
class named proba_<label>) against the labels of a LIBSVM or CSV file (first token of each
LIBSVM line; the last column of a CSV with a header). Prints one number.

    tidewater predict --load m.tw --data d.svm --bits 20 --proba | python3 log_loss.py d.svm
"""
import math
import sys


def labels(path):
    with open(path) as f:
        if path.endswith(".csv"):
            next(f)
            return [line.rstrip("\n").rsplit(",", 1)[1] for line in f if line.strip()]
        return [line.split(None, 1)[0] for line in f if line.strip()]


def main():
    truth = labels(sys.argv[1])
    header = sys.stdin.readline().rstrip("\n").split(",")
    columns = {name[len("proba_"):]: i for i, name in enumerate(header) if name.startswith("proba_")}
    total, n = 0.0, 0
    for line, y in zip(sys.stdin, truth):
        fields = line.rstrip("\n").split(",")
        p = float(fields[columns[y]]) if y in columns else 0.0
        total -= math.log(max(p, 1e-15))
        n += 1
    if n != len(truth):
        sys.exit(f"{n} predictions for {len(truth)} labels")
    print(f"{total / n:.6f}")


if __name__ == "__main__":
    main()
