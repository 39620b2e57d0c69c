#!/usr/bin/env python3
"""Regenerate the shipped data sets (`NAME.csv.gz`) of tidewater-datasets.

Each output is a CSV with a header row, the feature columns first and the target last.
Numbers are written in shortest round-trip form (Python's `repr(float)`); class targets
are written as integers. The gzip streams carry no file name and a zero timestamp, so
running the script twice gives identical bytes.

Sources (see README.md for licences):

- phishing: /work/shared/reference/online/phishing.csv (River 0.26.1's phishing.csv.gz)
- iris:     X and y of /work/shared/reference/batch/gnb_iris.json, checked against
            scikit-learn's sklearn/datasets/data/iris.csv
- wine:     scikit-learn's sklearn/datasets/data/wine_data.csv, checked against the X of
            /work/shared/reference/batch/scaler_wine.json
- diabetes: scikit-learn's load_diabetes() (scaled features), checked against the X and y
            of /work/shared/reference/batch/ols_diabetes.json

Usage: python3 datasets/data/make.py [--reference DIR]   (needs scikit-learn 1.9.1)
"""

import argparse
import csv
import gzip
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
WINE_FEATURES = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280_od315_of_diluted_wines",
    "proline",
]
DIABETES_FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def fmt(v):
    """Shortest round-trip text of a number (Python repr of the float)."""
    return repr(float(v))


def fmt_class(v):
    """A class index as an integer."""
    f = float(v)
    if f != int(f):
        raise ValueError(f"class target {v!r} is not an integer")
    return str(int(f))


def write(name, header, rows, target_fmt):
    """Write NAME.csv.gz: header, then rows whose last value is the target."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([fmt(v) for v in row[:-1]] + [target_fmt(row[-1])])
    data = buf.getvalue().encode("ascii")
    path = os.path.join(HERE, f"{name}.csv.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{name}: {len(rows)} rows, {len(header) - 1} features, "
          f"{len(data)} bytes -> {os.path.getsize(path)} bytes gzip")


def check(name, got, want):
    if got != want:
        sys.exit(f"{name}: the data does not match the reference")


def sklearn_data_dir():
    import sklearn

    return os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")


def phishing(ref):
    with open(os.path.join(ref, "online", "phishing.csv"), newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = [[float(v) for v in row] for row in r]
    if header[-1] != "y" or len(header) != 10 or len(rows) != 1250:
        sys.exit("phishing: unexpected shape or header")
    write("phishing", header, rows, fmt_class)


def iris(ref):
    with open(os.path.join(ref, "batch", "gnb_iris.json")) as f:
        d = json.load(f)
    x, y = d["X"], d["y"]
    with open(os.path.join(sklearn_data_dir(), "iris.csv"), newline="") as f:
        r = csv.reader(f)
        next(r)
        sk = [[float(v) for v in row] for row in r]
    check("iris X", [row[:-1] for row in sk], x)
    check("iris y", [row[-1] for row in sk], [float(v) for v in y])
    rows = [xi + [yi] for xi, yi in zip(x, y)]
    write("iris", IRIS_FEATURES + ["target"], rows, fmt_class)


def wine(ref):
    with open(os.path.join(sklearn_data_dir(), "wine_data.csv"), newline="") as f:
        r = csv.reader(f)
        next(r)  # "178,13,class_0,class_1,class_2"
        rows = [[float(v) for v in row] for row in r]
    with open(os.path.join(ref, "batch", "scaler_wine.json")) as f:
        check("wine X", [row[:-1] for row in rows], json.load(f)["X"])
    if len(rows) != 178 or any(len(row) != 14 for row in rows):
        sys.exit("wine: unexpected shape")
    write("wine", WINE_FEATURES + ["target"], rows, fmt_class)


def diabetes(ref):
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    if list(d.feature_names) != DIABETES_FEATURES:
        sys.exit(f"diabetes: unexpected feature names {d.feature_names}")
    x, y = d.data.tolist(), d.target.tolist()
    with open(os.path.join(ref, "batch", "ols_diabetes.json")) as f:
        r = json.load(f)
    check("diabetes X", x, r["X"])
    check("diabetes y", y, r["y"])
    rows = [xi + [yi] for xi, yi in zip(x, y)]
    write("diabetes", DIABETES_FEATURES + ["target"], rows, fmt)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", default="/work/shared/reference",
                   help="directory holding online/ and batch/ reference files")
    a = p.parse_args()
    phishing(a.reference)
    iris(a.reference)
    wine(a.reference)
    diabetes(a.reference)


if __name__ == "__main__":
    main()
