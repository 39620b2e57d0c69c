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
- bananas, shuttle, image_segments, trump_approval, chick_weights: the data files in
            River 0.26.1's wheel (river/datasets/: banana.zip, shuttle.csv.gz,
            segment.csv.zip, trump_approval.csv.gz, chick-weights.csv)
- breast_cancer, linnerud: the data files in scikit-learn 1.9.1's wheel
            (sklearn/datasets/data/: breast_cancer.csv, linnerud_*.csv)

Values come from the packages' data files; scikit-learn's loaders are called only for
diabetes (its scaled features) and for breast cancer's feature names.

Usage: python3 datasets/data/make.py [--reference DIR] [--only NAME,...]
       (needs river 0.26.1 and scikit-learn 1.9.1 installed, for their data files)
"""

import argparse
import csv
import gzip
import io
import json
import os
import re
import sys
import zipfile

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


def write(name, header, rows, target_fmt, n_targets=1):
    """Write NAME.csv.gz: header, then rows whose last `n_targets` values are the targets."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        k = len(row) - n_targets
        w.writerow([fmt(v) for v in row[:k]] + [target_fmt(v) for v in row[k:]])
    data = buf.getvalue().encode("ascii")
    path = os.path.join(HERE, f"{name}.csv.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{name}: {len(rows)} rows, {len(header) - n_targets} features, "
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


def fmt_int(v):
    """An integer-valued number as an integer."""
    f = float(v)
    if f != int(f):
        raise ValueError(f"{v!r} is not an integer")
    return str(int(f))


def fmt_text(v):
    """A class name, unchanged."""
    return str(v)


def river_data_dir():
    import river

    if river.__version__ != "0.26.1":
        sys.exit(f"river {river.__version__} found; these files come from river 0.26.1")
    return os.path.join(os.path.dirname(river.__file__), "datasets")


def snake(name):
    """`region-centroid-col` / `mean radius` -> `region_centroid_col` / `mean_radius`."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower()


def read_csv_text(text):
    r = csv.reader(io.StringIO(text))
    header = next(r)
    return header, [row for row in r if row]


def bananas(_ref):
    with zipfile.ZipFile(os.path.join(river_data_dir(), "banana.zip")) as z:
        text = z.read("banana.all.txt").decode("ascii")
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        feats = dict(p.split(":") for p in parts[1:])
        if sorted(feats) != ["1", "2"]:
            sys.exit(f"bananas: unexpected line {line!r}")
        # River's loader: the target is True when the LIBSVM label is "1" (else -1).
        rows.append([float(feats["1"]), float(feats["2"]), 1 if parts[0] == "1" else 0])
    if len(rows) != 5300:
        sys.exit(f"bananas: {len(rows)} rows, expected 5300")
    write("bananas", ["x1", "x2", "y"], rows, fmt_class)


def shuttle(_ref):
    with gzip.open(os.path.join(river_data_dir(), "shuttle.csv.gz"), "rt") as f:
        header, raw = read_csv_text(f.read())
    if header != [f"f{i}" for i in range(1, 10)] + ["anomaly"] or len(raw) != 49097:
        sys.exit("shuttle: unexpected header or shape")
    rows = [[int(v) for v in row] for row in raw]
    buf_rows = [[fmt_int(v) for v in row] for row in rows]
    # Integers throughout: write them as integers, not as floats.
    _write_raw("shuttle", header, buf_rows)


def _write_raw(name, header, rows):
    """Write NAME.csv.gz from rows of already formatted fields."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("ascii")
    path = os.path.join(HERE, f"{name}.csv.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{name}: {len(rows)} rows, {len(header)} columns, "
          f"{len(data)} bytes -> {os.path.getsize(path)} bytes gzip")


def image_segments(_ref):
    with zipfile.ZipFile(os.path.join(river_data_dir(), "segment.csv.zip")) as z:
        header, raw = read_csv_text(z.read("segment.csv.zip").decode("ascii"))
    if len(header) != 19 or header[-1] != "category" or len(raw) != 2310:
        sys.exit("image_segments: unexpected header or shape")
    # `vegde-sd` is a typo in River's header for UCI's `vedge-sd`.
    names = [snake("vedge-sd" if h == "vegde-sd" else h) for h in header[:-1]]
    rows = []
    for row in raw:
        feats = [fmt_int(v) if i < 2 else fmt(v) for i, v in enumerate(row[:-1])]
        rows.append(feats + [row[-1]])
    _write_raw("image_segments", names + ["category"], rows)


def trump_approval(_ref):
    with gzip.open(os.path.join(river_data_dir(), "trump_approval.csv.gz"), "rt") as f:
        header, raw = read_csv_text(f.read())
    want = ["ordinal_date", "five_thirty_eight", "gallup", "ipsos", "morning_consult",
            "rasmussen", "you_gov"]
    if header != want or len(raw) != 1001:
        sys.exit("trump_approval: unexpected header or shape")
    order = [0, 2, 3, 4, 5, 6, 1]  # the target (FiveThirtyEight's estimate) last
    rows = [[fmt_int(row[0])] + [fmt(row[i]) for i in order[1:]] for row in raw]
    _write_raw("trump_approval", [header[i] for i in order], rows)


def chick_weights(_ref):
    with open(os.path.join(river_data_dir(), "chick-weights.csv"), newline="") as f:
        header, raw = read_csv_text(f.read())
    if header != ["weight", "time", "chick", "diet"] or len(raw) != 578:
        sys.exit("chick_weights: unexpected header or shape")
    rows = [[fmt_int(row[1]), fmt_int(row[2]), fmt_int(row[3]), fmt_int(row[0])] for row in raw]
    _write_raw("chick_weights", ["time", "chick", "diet", "weight"], rows)


def breast_cancer(_ref):
    from sklearn.datasets import load_breast_cancer  # for the feature names only

    names = [snake(n) for n in load_breast_cancer().feature_names]
    with open(os.path.join(sklearn_data_dir(), "breast_cancer.csv"), newline="") as f:
        r = csv.reader(f)
        first = next(r)  # "569,30,malignant,benign"
        if first[:2] != ["569", "30"] or first[2:] != ["malignant", "benign"]:
            sys.exit(f"breast_cancer: unexpected first line {first}")
        rows = [[float(v) for v in row] for row in r if row]
    if len(rows) != 569 or any(len(row) != 31 for row in rows) or len(names) != 30:
        sys.exit("breast_cancer: unexpected shape")
    write("breast_cancer", names + ["target"], rows, fmt_class)


def linnerud(_ref):
    def read(fname):
        with open(os.path.join(sklearn_data_dir(), fname)) as f:
            lines = [l.split() for l in f.read().splitlines() if l.strip()]
        return lines[0], [[float(v) for v in l] for l in lines[1:]]

    xh, x = read("linnerud_exercise.csv")
    yh, y = read("linnerud_physiological.csv")
    if xh != ["Chins", "Situps", "Jumps"] or yh != ["Weight", "Waist", "Pulse"]:
        sys.exit("linnerud: unexpected headers")
    if len(x) != 20 or len(y) != 20:
        sys.exit("linnerud: unexpected shape")
    rows = [[fmt_int(v) for v in xi + yi] for xi, yi in zip(x, y)]
    _write_raw("linnerud", [h.lower() for h in xh + yh], rows)


MAKERS = {
    "phishing": phishing,
    "iris": iris,
    "wine": wine,
    "diabetes": diabetes,
    "bananas": bananas,
    "shuttle": shuttle,
    "image_segments": image_segments,
    "trump_approval": trump_approval,
    "chick_weights": chick_weights,
    "breast_cancer": breast_cancer,
    "linnerud": linnerud,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", default="/work/shared/reference",
                   help="directory holding online/ and batch/ reference files")
    p.add_argument("--only", default=",".join(MAKERS),
                   help="comma-separated names of the data sets to write (default: all)")
    a = p.parse_args()
    for name in a.only.split(","):
        if name not in MAKERS:
            sys.exit(f"unknown data set {name!r}; known: {', '.join(MAKERS)}")
        MAKERS[name](a.reference)


if __name__ == "__main__":
    main()
