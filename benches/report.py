#!/usr/bin/env python3
"""Writes BENCHMARKS.md (on stdout) from one run of benches/run.sh, and from nothing else.

    python3 benches/report.py OUT > BENCHMARKS.md      # OUT: the run's folder (run.sh's OUT)

What it reads, all under OUT (the layout run.sh writes):
  meta.json, load.txt, phases.txt        the run: date, machine, versions, command, load, phases
  peers/results/peers.json               run_peers.py's records, tasks T1-T6 (T2J's are task T2)
  peers/cluster_peers.jsonl              benches/peers/cluster_peers.py (the other T4 peers)
  linear/library.jsonl, linear/cli.jsonl T1, T6: tidewater-linear's peers_loop; `tidewater eval`
  trees/library.jsonl, trees/cli.jsonl   T2: tidewater-trees' peers_loop; `tidewater eval`
  drift/library.jsonl, drift/cli_*.json, drift/exact.json
                                         T3: examples/drift_stream.rs; `tidewater drift`; every
                                         drift index against River's (drift_report.py --exact)
  cluster/library.jsonl, cluster/cli.jsonl
                                         T4: tidewater-cluster's peers_loop; `fit` / `eval`
  scaler/library.jsonl                   T5: tidewater-preprocessing's peers_loop

Every ratio is tidewater ÷ the peer, both from this run, as rates (rows or updates per second),
so above 1 means tidewater is faster. A figure the run lacks is printed as "—", and the task's
section names the file that lacked it; nothing is filled in from elsewhere.
"""
from __future__ import annotations

import glob
import json
import os
import re
import statistics
import sys

DASH = "—"


# ------------------------------------------------------------------------------------------------
# formatting
# ------------------------------------------------------------------------------------------------

def rate(v):
    """A rate in rows (or updates) per second, three significant figures."""
    if v is None:
        return DASH
    for div, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if v >= div:
            x = v / div
            return f"{x:.3g}{unit}" if x < 100 else f"{x:.0f}{unit}"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def ratio(tw, peer, bold=False):
    """tidewater ÷ peer for two rates; "—" when either is missing."""
    if tw is None or peer in (None, 0):
        return DASH
    x = tw / peer
    s = f"{x:,.0f}x" if x >= 100 else f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"
    return f"**{s}**" if bold else s


def num(v, digits=4):
    if v is None:
        return DASH
    if isinstance(v, int):
        return f"{v:,}"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
        return f"{v:.2e}"
    return f"{v:.{digits}f}"


def ns(v):
    return DASH if v is None else f"{v:,.1f}"


def table(header, rows):
    """A markdown table; `header` holds (title, align) with align "l" or "r"."""
    out = ["| " + " | ".join(h for h, _ in header) + " |",
           "|" + "|".join("---:" if a == "r" else "---" for _, a in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(DASH if c is None else str(c) for c in r) + " |")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# reading the run
# ------------------------------------------------------------------------------------------------

class Run:
    """The files of one run; every lookup that finds nothing is recorded against its task."""

    def __init__(self, out):
        self.out = out
        self.lacks: dict[str, list[str]] = {}
        self.notes: dict[str, list[str]] = {}
        self._cache = {}

    def lack(self, task, what):
        items = self.lacks.setdefault(task, [])
        if what not in items:
            items.append(what)

    def note(self, task, what):
        items = self.notes.setdefault(task, [])
        if what not in items:
            items.append(what)

    def path(self, rel):
        return os.path.join(self.out, rel)

    def read_json(self, rel):
        if rel not in self._cache:
            try:
                with open(self.path(rel)) as f:
                    self._cache[rel] = json.load(f)
            except (OSError, ValueError):
                self._cache[rel] = None
        return self._cache[rel]

    def read_jsonl(self, rel):
        if rel not in self._cache:
            recs = None
            try:
                with open(self.path(rel)) as f:
                    recs = []
                    for line in f:
                        line = line.strip()
                        if line.startswith("{"):
                            try:
                                recs.append(json.loads(line))
                            except ValueError:
                                pass
            except OSError:
                pass
            self._cache[rel] = recs
        return self._cache[rel]

    # --- peers (run_peers.py)
    def peer(self, task, dataset, name):
        rel = "peers/results/peers.json"
        d = self.read_json(rel)
        if d is None:
            self.lack(task, f"`{rel}` (missing or unreadable)")
            return None
        for r in d.get("results", []):
            if r.get("task") == task and r.get("dataset") == dataset and r.get("peer") == name:
                return r
        self.lack(task, f"`{rel}`: no {task} record of “{name}” on {dataset}")
        return None

    def extra_peer(self, task, name):
        rel = "peers/cluster_peers.jsonl"
        recs = self.read_jsonl(rel)
        if recs is None:
            self.lack(task, f"`{rel}` (missing)")
            return None
        for r in recs:
            if r.get("peer") == name:
                return r
        self.lack(task, f"`{rel}`: no record of “{name}”")
        return None

    # --- tidewater
    def lib(self, section, rel, **match):
        recs = self.read_jsonl(rel)
        if recs is None:
            self.lack(section, f"`{rel}` (missing)")
            return None
        for r in recs:
            if all(r.get(k) == v for k, v in match.items()):
                return r
        what = ", ".join(f"{k} `{v}`" for k, v in match.items())
        self.lack(section, f"`{rel}`: no line with {what}")
        return None

    def cli(self, task, rel, model, data_suffix):
        """Every `tidewater eval`/`fit` record of `model` on a file ending in `data_suffix`."""
        recs = self.read_jsonl(rel)
        if recs is None:
            self.lack(task, f"`{rel}` (missing)")
            return []
        got = [r for r in recs if r.get("model") == model
               and (data_suffix is None or str(r.get("dataset", "")).endswith(data_suffix))]
        if not got:
            self.lack(task, f"`{rel}`: no run of `{model}`" + (f" on {data_suffix}" if data_suffix else ""))
        return got


def peer_rate(r):
    return None if r is None else r.get("rows_per_s")


def peer_rate_e2e(r):
    return None if r is None else r.get("rows_per_s_incl_parse")


def metric(r, key):
    return None if r is None else (r.get("metrics") or {}).get(key)


def peer_label(name, r):
    """The peer's name, with how many rows it ran when that was a prefix."""
    if r and r.get("rows_timed") and r.get("rows_dataset") and r["rows_timed"] < r["rows_dataset"]:
        return f"{name} (first {r['rows_timed']:,} rows; rate over those)"
    return name


def best_cli(runs, key="rows_per_sec"):
    """The fastest of the runs, and every run's rate, for `tidewater eval` records."""
    rates = [r.get(key) for r in runs if r.get(key)]
    if not rates:
        return None, None, []
    best = max(runs, key=lambda r: r.get(key) or 0)
    return best, best.get(key), rates


def runs_note(rates):
    if len(rates) <= 1:
        return "one run"
    return f"best of {len(rates)}: " + ", ".join(rate(v) for v in rates)


def lacks_block(run, task):
    out = ""
    if run.notes.get(task):
        out += "\n\nNote: " + "; ".join(run.notes[task]) + "."
    if run.lacks.get(task):
        out += "\n\nMissing from this run (printed as —): " + "; ".join(run.lacks[task]) + "."
    return out


def cm(rec, key):
    """A metric of a `tidewater eval` record (None when the record or the metric is absent)."""
    return ((rec or {}).get("metrics") or {}).get(key)


# ------------------------------------------------------------------------------------------------
# the header
# ------------------------------------------------------------------------------------------------

LOAD_RE = re.compile(r"load average:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)")


def header(run):
    meta = run.read_json("meta.json")
    lines = ["# Benchmarks", "",
             "Generated by `bash benches/run.sh` (`benches/report.py`) from **one run**: every figure "
             "below comes from that run's files, and every ratio is **tidewater ÷ the peer**, both "
             "measured in that run, as rates (rows or updates per second; above 1: tidewater is "
             "faster). Do not edit by hand: rerun, or re-render with `bash benches/run.sh "
             "--report-only`. The earlier hand-written records, with their narrative, are in "
             "[docs/benchmarks-history.md](docs/benchmarks-history.md).", ""]
    rows = []
    if meta is None:
        run.lack("run", "`meta.json` (missing)")
        meta = {}
    pk = meta.get("packages") or {}
    rows.append(("command", f"`{meta['command']}`" if meta.get("command") else DASH))
    rows.append(("started / finished", f"{meta.get('started', DASH)} / {meta.get('finished', DASH)}"))
    cpu = meta.get("cpu")
    if cpu:
        tpc = meta.get("threads_per_core")
        rows.append(("machine", f"{cpu}, {meta.get('cpus', '?')} CPUs"
                     + (f" ({tpc} thread per core)" if tpc == "1" else f" ({tpc} threads per core)" if tpc else "")
                     + f", {meta.get('memory_gib', '?')} GiB, Linux {meta.get('kernel', '?')}"))
    else:
        rows.append(("machine", DASH))
    commit = meta.get("tidewater_commit")
    if commit:
        dirty = meta.get("tidewater_dirty_files") or 0
        rows.append(("tidewater", f"commit {commit[:12]}"
                     + (f" **with {dirty} uncommitted file(s)**" if dirty else " (clean tree)")
                     + f"; {meta.get('rustc', DASH)}"))
    else:
        rows.append(("tidewater", DASH))
    if pk:
        rows.append(("peers", f"Python {meta.get('python', '?')}: "
                     + ", ".join(f"{k} {v}" for k, v in pk.items()) + f"; {meta.get('java', DASH)}"))
    else:
        rows.append(("peers", DASH))
    peers_meta = (run.read_json("peers/results/peers.json") or {}).get("meta") or {}
    if peers_meta.get("versions") and pk:
        short = {"sklearn": "scikit-learn"}
        diff = [f"{short.get(k, k)} {v}" for k, v in peers_meta["versions"].items()
                if k in ("river", "sklearn", "vowpalwabbit", "capymoa")
                and pk.get(short.get(k, k)) not in (None, v)]
        if diff:
            rows.append(("note", "run_peers.py imported other versions: " + ", ".join(diff)))
    rows.append(("output", f"`{run.out}`"))
    lines.append(table([("", "l"), ("", "l")], rows))

    # One row per phase: when, the load before and after, and how it ended.
    loads = {}
    order = []
    try:
        with open(run.path("load.txt")) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3:
                    continue
                when, _, name = parts[1].partition(" ")
                if when not in ("before", "after") or not name:
                    continue
                m = LOAD_RE.search(parts[2])
                if name not in loads:
                    loads[name] = {}
                    order.append(name)
                loads[name][when] = (parts[0], " / ".join(m.groups()) if m else DASH)
    except OSError:
        run.lack("run", "`load.txt` (missing)")
    status = {}
    try:
        with open(run.path("phases.txt")) as f:
            for ln in f:
                p = ln.rstrip("\n").split("\t")
                if len(p) == 2:
                    status[p[0]] = p[1]
                    if p[0] not in order:
                        order.append(p[0])
    except OSError:
        run.lack("run", "`phases.txt` (missing)")
    if order:
        lines += ["", "Phases, in order, with the load (`uptime`: 1, 5 and 15-minute averages) before and after "
                  "each; a load near the CPU count means a benchmark shared its cores:", ""]
        rows = []
        for name in order:
            b = loads.get(name, {}).get("before", (DASH, DASH))
            a = loads.get(name, {}).get("after", (DASH, DASH))
            st = status.get(name, DASH)
            rows.append((name, b[0], a[0], b[1], a[1], st if st == "ok" else f"**{st}**"))
        lines.append(table([("phase", "l"), ("started", "l"), ("finished", "l"), ("load before", "r"),
                            ("load after", "r"), ("status", "l")], rows))
        tops = [float(v[1].split(" / ")[0]) for d in loads.values() for v in d.values() if v[1] != DASH]
        if tops:
            lines.append(f"\nHighest 1-minute load recorded: {max(tops):.2f}.")
    lines += ["", "**How to read.** *Loop* figures time the learning loop alone with the data already "
              "in memory (parsing excluded), as `run_peers.py` times the peers (best of 3 unless "
              "said); *end to end* figures read the file (parsing included): the peers' “incl. "
              "parse”, `tidewater eval` / `drift` / `fit` from the file. Where tidewater has two ways "
              "to make a step (two calls or one fused call, per value or per block), both are shown "
              "side by side, and the ratio in **bold** is the one made with the peer's own protocol.",
              ""]
    if run.lacks.get("run"):
        lines.append("Missing from this run: " + "; ".join(run.lacks["run"]) + ".\n")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# T1 and T6: linear models
# ------------------------------------------------------------------------------------------------

def quality_ll(r_acc, r_ll):
    return num(r_acc), num(r_ll)


def t1(run):
    task, ds, rel = "T1", "hyperplane_1m", "linear/library.jsonl"
    model = "logistic_regression"
    loops = {name: run.lib(task, rel, task=task, model=model, loop=name)
             for name in ("lean_static", "fused_static", "lean", "fused", "evaluator")}
    two, fused = loops["lean_static"], loops["fused_static"]
    two_r = two and two.get("rows_per_sec")
    fused_r = fused and fused.get("rows_per_sec")
    peers = [
        # (label, record name, protocol, headline: 'two' or 'fused')
        ("River `LogisticRegression`", "river LogisticRegression", "`predict_proba_one` then `learn_one` per row", "two"),
        ("scikit-learn `SGDClassifier` row by row", "sklearn SGDClassifier row-by-row",
         "`predict_proba` then `partial_fit` per row", "two"),
        ("scikit-learn `SGDClassifier` mini-batch", "sklearn SGDClassifier minibatch1000",
         "`predict_proba` then `partial_fit` per 1000 rows", "two"),
        ("VW `--loss_function logistic` (from its binary cache)", "VW logistic",
         "one `learn` per row (it predicts before updating)", "fused"),
    ]
    rows = [
        ("tidewater `logistic_regression`, **two calls** (`lean_static`)",
         "`predict_proba_into` then `learn_one` per row", rate(two_r),
         *(quality_ll(two and two.get("accuracy"), two and two.get("log_loss"))), "", ""),
        ("tidewater `logistic_regression`, **fused** (`fused_static`)",
         "`predict_then_learn` per row", rate(fused_r),
         *(quality_ll(fused and fused.get("accuracy"), fused and fused.get("log_loss"))), "", ""),
    ]
    recs = {}
    for label, name, proto, head in peers:
        r = run.peer(task, ds, name)
        recs[name] = r
        pr = peer_rate(r)
        rows.append((peer_label(label, r), proto, rate(pr), num(metric(r, "accuracy")),
                     num(metric(r, "logloss")), ratio(two_r, pr, head == "two"),
                     ratio(fused_r, pr, head == "fused")))
    out = ["## T1: online logistic regression (`hyperplane_1m.csv`, 1M rows, 10 features)", "",
           "Learning loop, data in memory. tidewater's loops use the model's concrete type over the "
           "dense rows; both protocols store each row's probability and score after the loop, as "
           "the peers' harness does. Same configuration as River's (SGD 0.01, intercept_lr 0.01, "
           "zero init).", ""]
    out.append(table([("runner", "l"), ("protocol", "l"), ("rows/s", "r"), ("accuracy", "r"),
                      ("log loss", "r"), ("two calls ÷ this", "r"), ("fused ÷ this", "r")], rows))
    # The other loops of the same bench, against River.
    river = peer_rate(recs.get("river LogisticRegression"))
    other = []
    for name, what in (("lean", "two calls through `dyn Classifier` and `Batch::row`"),
                       ("fused", "fused through `dyn Classifier` and `Batch::row`"),
                       ("evaluator", "core's `ClassificationEvaluator` (every metric, per row)")):
        r = loops[name]
        other.append((f"`{name}`: {what}", rate(r and r.get("rows_per_sec")),
                      num(r and r.get("accuracy")), num(r and r.get("log_loss")),
                      ratio(r and r.get("rows_per_sec"), river)))
    out += ["", "The bench's other loops:", "",
            table([("tidewater loop", "l"), ("rows/s", "r"), ("accuracy", "r"), ("log loss", "r"),
                   ("÷ River", "r")], other)]
    # End to end.
    runs = run.cli(task, "linear/cli.jsonl", model, "hyperplane_1m.csv")
    best, best_r, rates = best_cli(runs)
    e2e = [(f"`tidewater eval --model logistic_regression --data hyperplane_1m.csv` ({runs_note(rates)})",
            rate(best_r), num(cm(best, "accuracy")),
            num(cm(best, "log_loss")), "")]
    for label, name, note in (("River", "river LogisticRegression", "pandas read, dicts, loop"),
                              ("scikit-learn mini-batch 1000", "sklearn SGDClassifier minibatch1000",
                               "pandas read, loop"),
                              ("VW logistic", "VW logistic", "one pass over its text file")):
        r = recs.get(name)
        pr = peer_rate_e2e(r)
        e2e.append((f"{label} ({note})", rate(pr), num(metric(r, "accuracy")), num(metric(r, "logloss")),
                    ratio(best_r, pr)))
    out += ["", "End to end, from the file (parsing included):", "",
            table([("runner", "l"), ("rows/s", "r"), ("accuracy", "r"), ("log loss", "r"),
                   ("`tidewater eval` ÷ this", "r")], e2e)]
    return "\n".join(out) + lacks_block(run, task)


def t1s(run):
    task = "T1S"
    rel, prel = "shapes/library.jsonl", "shapes/peers.jsonl"
    shapes = (("dense50", "50 dense features"),
              ("text_labels", "text labels (`pos`/`neg`; River is given `y == \"pos\"`)"),
              ("weights", "sample weights 0.5, 1, 2 in turn"))
    peers = run.read_jsonl(prel)
    if peers is None:
        run.lack(task, f"`{prel}` (missing)")
        peers = []
    rows = []
    for shape, what in shapes:
        two = run.lib(task, rel, task=f"T1S/{shape}", loop="lean")
        fused = run.lib(task, rel, task=f"T1S/{shape}", loop="fused")
        river = next((r for r in peers if r.get("task") == f"T1S/{shape}"), None)
        if river is None:
            run.lack(task, f"`{prel}`: no line for {shape}")
        two_r, fused_r = two and two.get("rows_per_sec"), fused and fused.get("rows_per_sec")
        river_r = river and river.get("rows_per_sec")
        rows.append((what, rate(two_r), rate(fused_r), rate(river_r),
                     f"{num(two and two.get('accuracy'))} / {num(river and river.get('accuracy'))}",
                     f"{num(two and two.get('log_loss'))} / {num(river and river.get('log_loss'))}",
                     ratio(two_r, river_r, True), ratio(fused_r, river_r)))
    out = ["## T1 beyond its headline shape (`hyperplane50_200k.csv`, 200k rows, 50 features)", "",
           "River's `Hyperplane(seed=42, n_features=50, mag_change=0.001, noise_percentage=0.05)`, "
           "written once by `benches/peers/t1_shapes.py`, which also times River; tidewater's loops are "
           "`PEERS_TASKS=T1S cargo bench -p tidewater-linear --bench peers_loop`. Data in memory, "
           "`LogisticRegression()` on both sides, best of 3.", "",
           table([("shape", "l"), ("tidewater two calls rows/s", "r"), ("tidewater fused rows/s", "r"),
                  ("River rows/s", "r"), ("accuracy tidewater / River", "r"),
                  ("log loss tidewater / River", "r"), ("two calls ÷ River", "r"),
                  ("fused ÷ River", "r")], rows)]
    return "\n".join(out) + lacks_block(run, task)


def t6(run):
    task, ds, rel = "T6", "sparse_hashed", "linear/library.jsonl"
    lib = {(m, lp): run.lib(task, rel, task=task, model=m, loop=lp)
           for m in ("ftrl()", "logistic_regression")
           for lp in ("lean", "fused", "fused_prefetch", "evaluator")
           if not (m == "logistic_regression" and lp == "fused_prefetch")}
    rps = lambda m, lp: (lib.get((m, lp)) or {}).get("rows_per_sec")  # noqa: E731
    rows = []
    for m, label in (("ftrl()", "`ftrl`"), ("logistic_regression", "`logistic_regression` (SGD)")):
        for lp, what, proto in (("lean", "**two calls** (`lean`)", "`predict_proba_into` then `learn_one` per row"),
                                ("fused", "**fused** (`fused`)", "`predict_then_learn` per row")):
            r = lib.get((m, lp))
            rows.append((f"tidewater {label}, {what}", proto, rate(rps(m, lp)), num(r and r.get("accuracy")),
                         num(r and r.get("log_loss")), "", ""))
    peers = [
        ("VW `--ftrl`", "VW FTRL", "ftrl()", "one `learn` per row, from its binary cache", "fused"),
        ("River `LogisticRegression(optimizer=FTRLProximal())`", "river LogisticRegression FTRLProximal",
         "ftrl()", "`predict_proba_one` then `learn_one`", "two"),
        ("VW logistic SGD (`-b 20`)", "VW logistic SGD", "logistic_regression",
         "one `learn` per row, from its binary cache", "fused"),
        ("River `LogisticRegression()` (SGD)", "river LogisticRegression SGD", "logistic_regression",
         "`predict_proba_one` then `learn_one`", "two"),
        ("scikit-learn `SGDClassifier` mini-batch 1000 (CSR)", "sklearn SGDClassifier minibatch1000 (CSR)",
         "logistic_regression", "`predict_proba` then `partial_fit` per 1000 rows", "two"),
    ]
    recs = {}
    for label, name, m, proto, head in peers:
        r = run.peer(task, ds, name)
        recs[name] = r
        pr = peer_rate(r)
        rows.append((f"{peer_label(label, r)} — against tidewater `{m.rstrip('()')}`", proto, rate(pr),
                     num(metric(r, "accuracy")), num(metric(r, "logloss")),
                     ratio(rps(m, "lean"), pr, head == "two"), ratio(rps(m, "fused"), pr, head == "fused")))
    out = ["## T6: sparse logistic regression and FTRL (`sparse_hashed.vw`, 1M rows, ~28 of 2^20 features)",
           "", "Learning loop, data in memory (tidewater through `dyn Classifier`, `--bits 20`; "
           "accuracy and progressive log loss from the stored predictions). Each peer is set against "
           "the tidewater model of the same family.", ""]
    out.append(table([("runner", "l"), ("protocol", "l"), ("rows/s", "r"), ("accuracy", "r"),
                      ("log loss", "r"), ("two calls ÷ this", "r"), ("fused ÷ this", "r")], rows))
    other = []
    for m, lp, what in (("ftrl()", "fused_prefetch", "`ftrl` fused, hinting the next row (`prefetch`), as `eval` does"),
                        ("ftrl()", "evaluator", "`ftrl` with core's `ClassificationEvaluator`"),
                        ("logistic_regression", "evaluator", "`logistic_regression` with the evaluator")):
        r = lib.get((m, lp))
        vw = peer_rate(recs.get("VW FTRL" if m == "ftrl()" else "VW logistic SGD"))
        other.append((what, rate(rps(m, lp)), num(r and r.get("accuracy")), num(r and r.get("log_loss")),
                      ratio(rps(m, lp), vw)))
    out += ["", "The bench's other loops:", "",
            table([("tidewater loop", "l"), ("rows/s", "r"), ("accuracy", "r"), ("log loss", "r"),
                   ("÷ VW of the same family", "r")], other)]
    e2e = []
    best_vw = None
    for suffix, fmt in (("sparse_hashed.vw", "vw"), ("sparse_hashed.svm", "svm")):
        runs = run.cli(task, "linear/cli.jsonl", "ftrl", suffix)
        best, best_r, rates = best_cli(runs)
        if fmt == "vw":
            best_vw = best_r
        e2e.append((f"`tidewater eval --model ftrl --data {suffix} --bits 20` ({runs_note(rates)})",
                    rate(best_r), num(cm(best, "accuracy")),
                    num(cm(best, "log_loss")), ""))
    for label, name in (("VW `--ftrl`, one pass over its text file", "VW FTRL"),
                        ("VW logistic SGD, one pass over its text file", "VW logistic SGD"),
                        ("River FTRLProximal (text parsed to dicts, loop)", "river LogisticRegression FTRLProximal"),
                        ("scikit-learn mini-batch (`load_svmlight_file`, loop)", "sklearn SGDClassifier minibatch1000 (CSR)")):
        r = recs.get(name)
        pr = peer_rate_e2e(r)
        e2e.append((label, rate(pr), num(metric(r, "accuracy")), num(metric(r, "logloss")),
                    ratio(best_vw, pr)))
    out += ["", "End to end, from the file (parsing included):", "",
            table([("runner", "l"), ("rows/s", "r"), ("accuracy", "r"), ("log loss", "r"),
                   ("`eval` on the `.vw` ÷ this", "r")], e2e)]
    return "\n".join(out) + lacks_block(run, task)


# ------------------------------------------------------------------------------------------------
# T2: trees
# ------------------------------------------------------------------------------------------------

TREES = [
    # tidewater model in the bench, in `eval`, peers: (label, record name, kind)
    ("hoeffding_tree", "hoeffding_tree", "Hoeffding tree", [
        ("River `HoeffdingTreeClassifier()`", "river HoeffdingTreeClassifier", "loop"),
        ("MOA `HoeffdingTree` (Java direct)", "MOA HoeffdingTree (Java direct)", "loop"),
        ("MOA `HoeffdingTree` (capymoa, end to end; capymoa's defaults)", "MOA HoeffdingTree (capymoa)", "e2e"),
    ]),
    ("hoeffding_adaptive_tree", "hoeffding_adaptive_tree(seed=42)", "Hoeffding adaptive tree", [
        ("River `HoeffdingAdaptiveTreeClassifier(seed=42)`", "river HoeffdingAdaptiveTreeClassifier", "loop"),
        ("MOA `HoeffdingAdaptiveTree` (Java direct)", "MOA HoeffdingAdaptiveTree (Java direct)", "loop"),
        ("MOA `HoeffdingAdaptiveTree` (capymoa, end to end)", "MOA HoeffdingAdaptiveTree (capymoa)", "e2e"),
    ]),
    ("adaptive_random_forest", "adaptive_random_forest(seed=42)", "Adaptive random forest (10 trees, one thread)", [
        ("MOA `AdaptiveRandomForest` (Java direct)", "MOA AdaptiveRandomForest (Java direct)", "loop"),
    ]),
]


def t2(run):
    task, rel = "T2", "trees/library.jsonl"
    out = ["## T2: Hoeffding trees and the adaptive random forest (`agrawal_1m.csv`, `sea_1m.csv`)", "",
           "Learning loop, data in memory, MOA's and River's protocol: the class probabilities of a "
           "row, then learning it (tidewater's **two calls**: `predict_proba_into` then `learn_one`); "
           "tidewater's **fused** step (`predict_then_learn`) beside. MOA's Java-direct rows load the "
           "ARFF into memory first and loop over `getVotesForInstance` / `trainOnInstance` in a warm "
           "JVM (MOA's defaults; capymoa's defaults differ, confidence 1e-3). River runs no forest "
           "here. Accuracy is prequential over all rows.", ""]
    for ds, what in (("agrawal_1m", "9 features, a drift at row 500,000"), ("sea_1m", "3 features, 10 % noise")):
        rows, e2e = [], []
        for model, spec, title, peers in TREES:
            two = run.lib(task, rel, task=task, data=ds, model=model, loop="lean")
            fused = run.lib(task, rel, task=task, data=ds, model=model, loop="fused")
            two_r = two and two.get("rows_per_sec")
            fused_r = fused and fused.get("rows_per_sec")
            rows.append((f"**{title}**: tidewater `{spec}`, **two calls**", rate(two_r),
                         num(two and two.get("accuracy")), "", ""))
            rows.append((f"tidewater `{spec}`, **fused**", rate(fused_r),
                         num(fused and fused.get("accuracy")), "", ""))
            runs = run.cli(task, "trees/cli.jsonl", spec, f"{ds}.csv")
            best, best_r, rates = best_cli(runs)
            e2e.append((f"**{title}**: `tidewater eval --model {spec}` ({runs_note(rates)})", rate(best_r),
                        num(cm(best, "accuracy")), ""))
            for label, name, kind in peers:
                r = run.peer(task, ds, name)
                if kind == "loop":
                    pr = peer_rate(r)
                    rows.append((peer_label(label, r), rate(pr), num(metric(r, "accuracy")),
                                 ratio(two_r, pr, True), ratio(fused_r, pr)))
                    e2e_label = (label.replace("(Java direct)", "(Java direct: MOA reads the ARFF, then its loop)")
                                 if name.startswith("MOA") else f"{label} (pandas read, dicts, loop)")
                    e2e.append((e2e_label, rate(peer_rate_e2e(r)), num(metric(r, "accuracy")),
                                ratio(best_r, peer_rate_e2e(r))))
                else:
                    e2e.append((label, rate(peer_rate_e2e(r)), num(metric(r, "accuracy")),
                                ratio(best_r, peer_rate_e2e(r))))
        out += [f"**{ds}** ({what}), learning loop:", "",
                table([("runner", "l"), ("rows/s", "r"), ("accuracy", "r"), ("two calls ÷ this", "r"),
                       ("fused ÷ this", "r")], rows), "",
                f"**{ds}**, end to end from the file (parsing included; `eval` learns through the fused step "
                "and keeps every metric):", "",
                table([("runner", "l"), ("rows/s", "r"), ("accuracy", "r"), ("`tidewater eval` ÷ this", "r")],
                      e2e), ""]
    return "\n".join(out).rstrip() + lacks_block(run, task)


# ------------------------------------------------------------------------------------------------
# T3: drift detectors
# ------------------------------------------------------------------------------------------------

DETECTORS = [
    ("adwin", "ADWIN", "river ADWIN", "MOA ADWIN (Java direct)", "MOA ADWIN (capymoa, per-element from Python)"),
    ("page_hinkley", "Page-Hinkley", "river PageHinkley", "MOA PageHinkleyDM (Java direct)", None),
    ("ddm", "DDM", "river DDM", "MOA DDM (Java direct)", None),
]


def per_s(ns_per):
    return None if not ns_per else 1e9 / ns_per


def summarize(drifts, cp):
    after = [d for d in drifts if d >= cp]
    return len(drifts), sum(1 for d in drifts if d < cp), (after[0] - cp) if after else None


def t3(run):
    task, ds, rel = "T3", "drift_stream_10m", "drift/library.jsonl"
    exact = run.read_json("drift/exact.json")
    if exact is None:
        run.lack(task, "`drift/exact.json` (every drift index against River's; drift.sh with SKIP_EXACT=1 or older)")
    speed, e2e, dets = [], [], []
    for key, title, rname, mname, cname in DETECTORS:
        lib = run.lib(task, rel, detector=key)
        upd_ns = lib and lib.get("update_ns_per_update")
        many_ns = lib and lib.get("ns_per_update")
        if lib is not None and upd_ns is None:
            run.lack(task, f"`{rel}`: no per-value `update` timing for {key} (`update_ns_per_update`; "
                           "written by drift_stream.rs since issue 16)")
        upd_r, many_r = per_s(upd_ns), per_s(many_ns)
        runs_n = lib and lib.get("runs")
        speed.append((f"**{title}**: tidewater per value (`update`, then `drift_detected`)", rate(upd_r),
                      ns(upd_ns), "", ""))
        speed.append(("tidewater block (`update_many` over the 10M values)", rate(many_r), ns(many_ns), "", ""))
        peers = [(rname, f"River `{rname.split(' ', 1)[1]}`"), (mname, f"{mname.replace(' (Java direct)', '')} (Java direct)")]
        if cname:
            peers.append((cname, "MOA ADWIN via capymoa, one call per value from Python"))
        recs = {}
        for name, label in peers:
            r = run.peer(task, ds, name)
            recs[name] = r
            win = r and r.get("window")
            wnote = f" (values {win[0]:,}–{win[1]:,})" if win and (win[1] - win[0]) < (r.get("rows_dataset") or 0) else ""
            speed.append((label + wnote, rate(peer_rate(r)), ns(metric(r, "ns_per_update")),
                          ratio(upd_r, peer_rate(r), True), ratio(many_r, peer_rate(r))))
        # End to end: `tidewater drift` from the one-column CSV, median of the runs.
        files = sorted(glob.glob(run.path(f"drift/cli_{key}_*.json")))
        cli = []
        for p in files:
            try:
                with open(p) as f:
                    c = json.load(f)
            except (OSError, ValueError):
                c = {}
            if all(k in c for k in ("seconds", "rows", "drifts")):
                cli.append(c)
            else:
                run.lack(task, f"`drift/{os.path.basename(p)}` (unreadable or incomplete)")
        if not cli:
            run.lack(task, f"`drift/cli_{key}_*.json` (no `tidewater drift` run)")
        med = statistics.median(c["seconds"] for c in cli) if cli else None
        cli_r = cli[0]["rows"] / med if cli and med else None
        river = recs.get(rname)
        e2e.append((f"**{title}**: `tidewater drift --detector {key} --data drift_stream_10m.csv` "
                    f"(median of {len(cli)})" if cli else f"**{title}**: `tidewater drift`",
                    rate(cli_r), ns(med / cli[0]["rows"] * 1e9 if cli and med else None), ""))
        river_e2e = peer_rate_e2e(river)
        e2e.append((f"River `{rname.split(' ', 1)[1]}` (reading the binary file, loop)",
                    rate(river_e2e), ns(1e9 / river_e2e if river_e2e else None), ratio(cli_r, river_e2e)))
        # Detections.
        rm = (river or {}).get("metrics") or {}
        # The change point, from this run's records: River's (first detection after it minus the
        # delay) or the one the example scored against.
        cp = (rm["first_detection_after_change"] - rm["delay"]) if rm.get("delay") is not None else None
        if cp is None:
            cp = (lib or {}).get("change")
        if cp is None:
            run.lack(task, f"a change point for {key} (neither River's record nor `{rel}` gives one): "
                           "`tidewater drift`'s false alarms and delay not scored")
        for name, label in peers:
            r = recs.get(name)
            m = (r or {}).get("metrics") or {}
            dets.append((title, label, num(m.get("n_detections")), num(m.get("false_alarms_before_change")),
                         num(m.get("delay")), str(m.get("detections_head", [])[:5]) if m else DASH, ""))
        r_head = rm.get("detections_head")
        r_n = rm.get("n_detections")
        if lib:
            head = lib.get("detections_head", [])
            same = (r_n == lib.get("n_detections") and r_head == head[:20]) if rm else None
            dets.append((title, "tidewater `update` and `update_many` (the same drifts, checked by the example)"
                         if upd_ns is not None else "tidewater `update_many`",
                         num(lib.get("n_detections")), num(lib.get("false_alarms_before_change")),
                         num(lib.get("delay")), str(head[:5]),
                         DASH if same is None else ("yes (count and first 20)" if same else "**no**")))
        if cli:
            n, fa, delay = summarize(cli[0]["drifts"], cp) if cp is not None else (len(cli[0]["drifts"]), None, None)
            identical = all(c["drifts"] == cli[0]["drifts"] for c in cli)
            ex = (exact or {}).get(key)
            if ex:
                agree = ("yes, every index" if ex.get("identical")
                         else f"**no** (River {ex.get('river')}, tidewater {ex.get('tidewater')}; first difference "
                              f"at {ex.get('first_difference')})")
            elif rm:
                agree = ("yes (count and first 20)" if r_n == n and r_head == cli[0]["drifts"][:20] else "**no**")
            else:
                agree = DASH
            dets.append((title, f"`tidewater drift` ({len(cli)} runs, "
                         + ("all identical)" if identical else "**runs differ**)"),
                         num(n), num(fa), num(delay), str(cli[0]["drifts"][:5]), agree))
    lib_runs = (run.read_jsonl(rel) or [{}])[0].get("runs", DASH)
    out = ["## T3: drift detectors (`drift_stream_10m.bin`: 10M values of 0/1, the rate 0.2 → 0.4 at 5,000,000)", "",
           "Updates with the values in memory. The headline is tidewater's per-value `update` "
           "(the peers' protocol: one update, then a look at the flag); the block API `update_many` "
           f"beside. tidewater's figures are medians of {lib_runs} run(s) each; the peers' best of up to 3. "
           "MOA's Page-Hinkley is one-sided and River's two-sided (mode='both'), so their detections differ.", ""]
    out.append(table([("runner", "l"), ("updates/s", "r"), ("ns/update", "r"), ("`update` ÷ this", "r"),
                      ("`update_many` ÷ this", "r")], speed))
    out += ["", "End to end: `tidewater drift` reads the stream written as a one-column CSV (parsing "
            "included); River's figure includes reading the binary file:", "",
            table([("runner", "l"), ("values/s", "r"), ("ns/value", "r"), ("`tidewater drift` ÷ this", "r")], e2e),
            "", "Detections (false alarms: detections before the change; delay: first detection after it "
                "minus the change point):", "",
            table([("detector", "l"), ("source", "l"), ("detections", "r"), ("false alarms", "r"),
                   ("delay", "r"), ("first detections", "l"), ("same as River", "l")], dets)]
    return "\n".join(out) + lacks_block(run, task)


# ------------------------------------------------------------------------------------------------
# T4: clustering
# ------------------------------------------------------------------------------------------------

def t4(run):
    task, ds, rel = "T4", "blobs_1m", "cluster/library.jsonl"
    many = run.lib(task, rel, task=task, model="minibatch_kmeans", loop="learn_many_1024")
    one = run.lib(task, rel, task=task, model="minibatch_kmeans(batch_size=1024)", loop="learn_one")
    one8 = run.lib(task, rel, task=task, model="minibatch_kmeans(batch_size=8)", loop="learn_one")
    many_r, one_r = many and many.get("rows_per_sec"), one and one.get("rows_per_sec")
    rows = [
        ("tidewater `minibatch_kmeans`, **`learn_many` per 1024 rows**", rate(many_r),
         num(many and many.get("ari_last")), num(many and many.get("inertia_per_point")), "", ""),
        ("tidewater `minibatch_kmeans(batch_size=1024)`, **`learn_one` per row**", rate(one_r),
         num(one and one.get("ari_last")), num(one and one.get("inertia_per_point")), "", ""),
        ("tidewater `minibatch_kmeans(batch_size=8)`, `learn_one` per row (beside)",
         rate(one8 and one8.get("rows_per_sec")), num(one8 and one8.get("ari_last")),
         num(one8 and one8.get("inertia_per_point")), "", ""),
    ]
    mbk = run.peer(task, ds, "sklearn MiniBatchKMeans partial_fit")
    rkm = run.peer(task, ds, "river KMeans")
    rows.append(("scikit-learn `MiniBatchKMeans(batch_size=1024, n_init=3).partial_fit` per 1024 rows",
                 rate(peer_rate(mbk)), num(metric(mbk, "ARI_last100k")), num(metric(mbk, "inertia_per_point")),
                 ratio(many_r, peer_rate(mbk), True), ratio(one_r, peer_rate(mbk))))
    rows.append(("River `KMeans(n_clusters=8, seed=42)`, `learn_one` per row (another algorithm: "
                 "halflife updates)", rate(peer_rate(rkm)), num(metric(rkm, "ARI_last100k")),
                 num(metric(rkm, "inertia_per_point")), ratio(many_r, peer_rate(rkm)),
                 ratio(one_r, peer_rate(rkm), True)))
    out = ["## T4: clustering (`blobs_1m.csv`: 1M rows, 10 features, 8 blobs)", "",
           "Streaming k-means, learning loop with the data in memory; quality as the peers measure it: "
           "the final model's clusters on the last 100,000 rows (ARI against the generating blob, "
           "inertia per point).", "",
           table([("runner", "l"), ("rows/s", "r"), ("ARI", "r"), ("inertia/pt", "r"),
                  ("`learn_many` ÷ this", "r"), ("`learn_one` ÷ this", "r")], rows)]
    # End to end.
    runs = run.cli(task, "cluster/cli.jsonl", "minibatch_kmeans(seed=42)", "blobs_1m.csv")
    best, best_r, rates = best_cli(runs)
    e2e = [(f"`tidewater eval --model \"minibatch_kmeans(seed=42)\" --target y` ({runs_note(rates)}; "
            "prequential ARI over every row)", rate(best_r), num(cm(best, "ari")), ""),
           ("scikit-learn `MiniBatchKMeans` (pandas read, loop)", rate(peer_rate_e2e(mbk)),
            num(metric(mbk, "ARI_last100k")), ratio(best_r, peer_rate_e2e(mbk))),
           ("River `KMeans` (pandas read, dicts, loop)", rate(peer_rate_e2e(rkm)),
            num(metric(rkm, "ARI_last100k")), ratio(best_r, peer_rate_e2e(rkm)))]
    out += ["", "End to end from the file (parsing included):", "",
            table([("runner", "l"), ("rows/s", "r"), ("ARI", "r"), ("`tidewater eval` ÷ this", "r")], e2e)]
    # Batch Lloyd.
    km = run.lib(task, rel, task=task, model="kmeans(init=first_rows,n_init=1)", loop="fit")
    sk = run.extra_peer(task, "sklearn KMeans lloyd n_init=1 init=first 8 rows")
    fits = run.cli(task, "cluster/cli.jsonl", "kmeans(init=first_rows,n_init=1)", None)
    fit_s = [r.get("train_seconds") for r in fits if r.get("train_seconds")]
    fit_best = min(fit_s) if fit_s else None
    sk_r = sk and sk.get("rows_per_sec")
    n_rows = (km or {}).get("rows") or (sk or {}).get("rows")
    km_r = km and km.get("rows_per_sec")
    fit_r = n_rows / fit_best if fit_best and n_rows else None
    full = lambda v: DASH if v is None else f"{v:.10g}"  # noqa: E731
    lloyd = [
        (f"tidewater `kmeans(init=first_rows,n_init=1)`, **`fit` in memory** ({(km or {}).get('threads', '?')} threads)",
         num(km and km.get("seconds")), rate(km_r), full(km and km.get("inertia")), num(km and km.get("n_iter")),
         "", ""),
        ("`tidewater fit --json`, its `train_seconds` (" + (f"best of {len(fit_s)}: " + ", ".join(f"{s:.3f}" for s in fit_s)
                                                           if fit_s else "no run") + ")",
         num(fit_best), rate(fit_r), DASH, DASH, "", ""),
        (f"scikit-learn `KMeans(algorithm=\"lloyd\", n_init=1, init=X[:8])` `fit` ({(sk or {}).get('threads', '?')} threads)",
         num(sk and sk.get("seconds")), rate(sk_r), full(sk and sk.get("inertia")), num(sk and sk.get("n_iter")),
         ratio(km_r, sk_r, True), ratio(fit_r, sk_r)),
    ]
    if km and sk and km.get("inertia") and sk.get("inertia"):
        run.note(task, "Lloyd's final inertia, tidewater against scikit-learn: relative difference "
                       f"{abs(km['inertia'] - sk['inertia']) / sk['inertia']:.1e}")
    out += ["", "Batch Lloyd from the first 8 rows (both reach the same local optimum; the check is that the "
            "two loops agree):", "",
            table([("runner", "l"), ("seconds", "r"), ("rows/s", "r"), ("inertia", "r"), ("iterations", "r"),
                   ("`fit` ÷ this", "r"), ("`fit --json` ÷ this", "r")], lloyd)]
    # Stream clusterers: River in memory, tidewater `eval` from the CSV.
    stream = []
    for spec, name in (("clustream(seed=42)", "river CluStream(seed=42)"),
                       ("clustream(seed=42,n_macro_clusters=8)", "river CluStream(seed=42, n_macro_clusters=8)"),
                       ("dbstream", "river DBSTREAM()"),
                       ("dbstream(clustering_threshold=4)", "river DBSTREAM(clustering_threshold=4)")):
        r = run.extra_peer(task, name)
        tw = run.cli(task, "cluster/cli.jsonl", spec, None)
        t = tw[0] if tw else None
        pr, tr = r and r.get("rows_per_sec"), t and t.get("rows_per_sec")
        rows_note = ""
        if r and t and r.get("rows") != t.get("rows"):
            rows_note = f" **(rows differ: River {r.get('rows'):,}, tidewater {t.get('rows'):,})**"
            run.note(task, f"`{spec}`: River and tidewater ran different row counts, so the ARIs are "
                           "not comparable (run.sh gives both sides the same DB_ROWS / STREAM_ROWS)")
        stream.append((f"`{spec}` / {name.replace('river ', 'River `')}`{rows_note}",
                       num(r and r.get("rows")), rate(pr), num(r and r.get("ari")), rate(tr),
                       num(cm(t, "ari")), ratio(tr, pr)))
    t_off = run.cli(task, "cluster/cli.jsonl", "clustream(seed=42,n_macro_clusters=8,offline=lloyd)", None)
    t = t_off[0] if t_off else None
    stream.append(("`clustream(seed=42,n_macro_clusters=8,offline=lloyd)` (tidewater only)", num(t and t.get("rows")),
                   DASH, DASH, rate(t and t.get("rows_per_sec")), num(cm(t, "ari")), DASH))
    out += ["", "Stream clusterers, prequential (`predict_one` then `learn_one`), ARI over the rows: River in "
            "memory, tidewater's `eval` from the CSV (parsing included; one run each):", "",
            table([("model", "l"), ("rows", "r"), ("River rows/s", "r"), ("River ARI", "r"),
                   ("tidewater rows/s", "r"), ("tidewater ARI", "r"), ("tidewater ÷ River", "r")], stream)]
    return "\n".join(out) + lacks_block(run, task)


# ------------------------------------------------------------------------------------------------
# T5: standard scaler
# ------------------------------------------------------------------------------------------------

def t5(run):
    task, ds, rel = "T5", "hyperplane_1m", "scaler/library.jsonl"
    one = run.lib(task, rel, task=task, loop="learn_one_transform_one")
    blk = run.lib(task, rel, task=task, loop="learn_many_transform_many_1000")
    one_r, blk_r = one and one.get("rows_per_sec"), blk and blk.get("rows_per_sec")
    rows = [("tidewater `StandardScaler`, **per row**: `learn_one` then `transform_one`", rate(one_r),
             num(one and one.get("max_abs_err_mean")), num(one and one.get("max_abs_err_var")), "", ""),
            ("tidewater, **per 1000 rows**: `learn_many` then `transform_many`", rate(blk_r),
             num(blk and blk.get("max_abs_err_mean")), num(blk and blk.get("max_abs_err_var")), "", "")]
    rv = run.peer(task, ds, "river StandardScaler")
    sk = run.peer(task, ds, "sklearn StandardScaler partial_fit")
    rows.append(("River `StandardScaler()`: `learn_one` then `transform_one` per row", rate(peer_rate(rv)),
                 num(metric(rv, "max_abs_err_mean")), num(metric(rv, "max_abs_err_var")),
                 ratio(one_r, peer_rate(rv), True), ratio(blk_r, peer_rate(rv))))
    rows.append(("scikit-learn `StandardScaler()`: `partial_fit` then `transform` per 1000 rows",
                 rate(peer_rate(sk)), num(metric(sk, "max_abs_err_mean")), num(metric(sk, "max_abs_err_var")),
                 ratio(one_r, peer_rate(sk)), ratio(blk_r, peer_rate(sk), True)))
    out = ["## T5: online standard scaler (`hyperplane_1m.csv`, 1M rows, 10 features)", "",
           "Learning and transforming every row, data in memory; quality: the largest error of the final "
           "means and variances (tidewater against a compensated two-pass sum, the peers against numpy).", "",
           table([("runner", "l"), ("rows/s", "r"), ("max error, means", "r"), ("max error, variances", "r"),
                  ("per row ÷ this", "r"), ("per 1000 ÷ this", "r")], rows),
           "", f"End to end, the peers including the file's reading: River {rate(peer_rate_e2e(rv))} rows/s, "
               f"scikit-learn {rate(peer_rate_e2e(sk))} rows/s; tidewater has no command that learns and "
               "transforms in one pass, so no end-to-end ratio is given."]
    return "\n".join(out) + lacks_block(run, task)


def ps(run):
    task, rel = "PS", "ps/results.jsonl"
    recs = run.read_jsonl(rel)
    head = ["## Parameter server (issue 14): batch logistic regression on workers and processes", ""]
    if not recs:
        run.lack(task, f"`{rel}` (missing: `bash benches/peers/ps.sh`)")
        return "\n".join(head) + lacks_block(run, task)
    meta = next((r for r in recs if r.get("kind") == "meta"), {})
    end = next((r for r in recs if r.get("kind") == "end"), {})
    fits = {}
    for r in recs:
        if r.get("kind") == "fit":
            fits.setdefault(r["label"], []).append(r["run"])

    def best(label, key="train_seconds"):
        vals = [f[key] for f in fits.get(label, []) if f.get(key) is not None]
        return min(vals) if vals else None

    def secs(v):
        return "—" if v is None else f"{v:.2f}"

    def speedup(a, b, bold=False):
        if a is None or b is None or b == 0:
            return "—"
        t = f"{a / b:.2f}x"
        return f"**{t}**" if bold else t

    w1, w2, p1, p2 = best("workers 1"), best("workers 2"), best("processes 1"), best("processes 2")
    rows = []
    for label, what in [("rayon", "`fit` alone (rayon, both cores)"),
                        ("workers 1", "`fit --workers 1`"), ("workers 2", "`fit --workers 2`"),
                        ("processes 1", "`fit --hosts` 1 process (`RAYON_NUM_THREADS=1`)"),
                        ("processes 2", "`fit --hosts` 2 processes on loopback (`RAYON_NUM_THREADS=1` each)"),
                        ("processes 2, own rows", "`fit --hosts --own-rows` 2 processes, each reading its own "
                         "1,000,000 rows (`RAYON_NUM_THREADS=1` each)")]:
        runs = fits.get(label, [])
        rounds = runs[0].get("rounds", "") if runs else ""
        train = [f"{f['train_seconds']:.2f}" for f in runs]
        sp = ""
        if label == "workers 2":
            sp = speedup(w1, w2, True) + " over 1 worker (target 1.7x)"
        if label == "processes 2":
            sp = speedup(p1, p2, True) + " over 1 process (target 1.5x)"
        if label == "processes 2, own rows" and runs:
            sp = (speedup(p1, best(label)) + " over 1 process; reading "
                  + speedup(best("processes 1", "read_seconds"), best(label, "read_seconds"))
                  + " faster (half the rows each)")
        rows.append((what, secs(best(label)), ", ".join(train), secs(best(label, "read_seconds")),
                     str(rounds), sp))
    sk = next((r for r in recs if r.get("kind") == "sklearn"), None)
    if sk:
        rows.append((sk["peer"] + f" ({sk['n_iter']} iterations; log loss {sk['log_loss']:.6f})",
                     secs(sk["train_seconds"]), "one run", secs(sk["read_seconds"]), "", ""))
    else:
        run.lack(task, "the scikit-learn record")
    out = head + [
        f"`bash benches/peers/ps.sh` (part of `benches/run.sh`, phase `ps`): commit {meta.get('commit', '?')[:12]}, "
        f"{meta.get('started', '?')} to {end.get('finished', '?')}, load {meta.get('load', '?')} at the start, "
        f"{end.get('load', '?')} at the end. `{meta.get('spec', '?')}` on `hyperplane_1m.csv` read twice "
        f"({meta.get('rows', 2000000):,} rows, 10 features); every configuration but `--own-rows` fits the same "
        "model, bit for bit (`fit` and its rounds add the same parts in the same order). Training seconds from `fit --json`, "
        "best of the runs. Reading is spread only with `--own-rows` (otherwise every process reads every "
        "row); that model is the same fit to rounding, not bit for bit (each part has blocks of its own).", "",
        table([("configuration", "l"), ("train s (best)", "r"), ("runs", "l"), ("read s", "r"),
               ("rounds", "r"), ("speed-up", "l")], rows), "",
        "Alink's `LogisticRegressionTrainBatchOp` on Flink, from `../shared/peers/README.md` (not rerun here): "
        "19.7 s for 1M rows with parallelism 1, 23.1 s with 2.", ""]
    bars = [r for r in recs if r.get("kind") == "barrier"]
    if bars:
        out += ["An empty round (the barrier alone; `ps/examples/barrier.rs`):", "",
                table([("backend", "l"), ("workers", "r"), ("µs a round", "r")],
                      [(b["backend"], str(b["workers"]), f"{b['us_per_round']:.1f}") for b in bars]), ""]
    else:
        run.lack(task, "the barrier records")
    sgd = [r for r in recs if r.get("kind") == "sgd"]
    if sgd:
        bsp = next((r for r in sgd if r["consistency"] == "BSP"), None)
        out += ["Sparse mini-batch SGD with stragglers (`ps/examples/ssp_sparse.rs` on `sparse_hashed.svm`: two "
                "workers, AdaGrad on the server, one worker held up 2 ms in each round, the two in turn):", "",
                table([("consistency", "l"), ("rows", "r"), ("rounds", "r"), ("seconds", "r"),
                       ("training log loss", "r"), ("BSP ÷ this", "r")],
                      [(r["consistency"], f"{r['rows']:,}", str(r["rounds"]), f"{r['seconds']:.2f}",
                        f"{r['log_loss']:.6f}", speedup(bsp and bsp["seconds"], r["seconds"]))
                       for r in sgd])]
    else:
        run.lack(task, "the SGD records")
    cli = {}
    for r in recs:
        if r.get("kind") == "sgd_cli":
            cli.setdefault(r["label"], []).append(r)
    if cli:
        one = min((r["run"]["train_seconds"] for r in cli.get("1 worker, BSP", [])), default=None)
        rows = []
        for label, runs in cli.items():
            t = min(r["run"]["train_seconds"] for r in runs)
            rows.append((label, str(runs[0]["run"].get("rounds", "")), f"{t:.2f}",
                         ", ".join(f"{r['run']['train_seconds']:.2f}" for r in runs),
                         f"{runs[0]['run']['read_seconds']:.2f}",
                         ", ".join(f"{r['log_loss']:.6f}" for r in runs),
                         speedup(one, t)))
        spec = next(iter(cli.values()))[0].get("spec", "?")
        out += ["", f"The same SGD from the command line, no straggler: `tidewater fit --model \"{spec}\" "
                "--data sparse_hashed.svm --bits 20 --workers W --staleness S --batch-size 512 --json` "
                "(or `--hosts` with 2 processes, each a worker), best of the runs; the training log loss of each run from `predict --proba` "
                "(`benches/peers/log_loss.py`):", "",
                table([("workers, consistency", "l"), ("rounds a worker", "r"), ("train s (best)", "r"),
                       ("runs", "l"), ("read s", "r"), ("training log loss", "l"),
                       ("1 worker ÷ this", "r")], rows)]
    else:
        run.lack(task, "the command-line SGD records")
    return "\n".join(out) + lacks_block(run, task)


def serving(run):
    task = "SERVING"
    head = ["## Serving (issue 15): freshness, latency under load, in-process predictions", ""]
    try:
        with open(run.path("serving/report.md")) as f:
            report = f.read().strip()
        with open(run.path("serving/meta.txt")) as f:
            meta = dict(line.rstrip("\n").split(" ", 1) for line in f if " " in line)
    except OSError:
        run.lack(task, "`serving/report.md` (missing: `cargo bench -p tidewater-cli --bench serving`)")
        return "\n".join(head) + lacks_block(run, task)
    out = head + [
        f"`cargo bench -p tidewater-cli --bench serving` (part of `benches/run.sh`, phase `serving`): commit "
        f"{meta.get('commit', '?')[:12]}, {meta.get('started', '?')} to {meta.get('finished', '?')}, load "
        f"{meta.get('load', '?')} at the start, {meta.get('load_after', '?')} at the end. Everything runs on this "
        "2-core machine at once: the learner (`learn --follow --publish`), the server (`serve --model-dir`, one "
        "runtime thread by default here), the rows' writer and the HTTP client, so the latencies include their "
        "contention. wrk is Debian's package (`apt-get install wrk`); without it the bench runs the Rust client only. There is no peer ratio: no peer serves over HTTP. Alink's reference points, from "
        "`../shared/peers/README.md` (Alink 1.6.2, measured 2026-12-06, not rerun here): a model directory is "
        "scanned every 10 s by default, and its in-job model stream emits at most one model per second "
        "(`FtrlTrainStreamOp` `timeInterval` 1 s, its smallest): FTRL predicting `hyperplane_1m` from a model up "
        "to 1 s old reaches progressive accuracy 0.575, where a model updated every row reaches 0.919 (River's "
        "LogisticRegression).",
        "",
        report]
    return "\n".join(out) + lacks_block(run, task)


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    run = Run(os.path.abspath(sys.argv[1]))
    if not os.path.isdir(run.out):
        print(f"{run.out}: no such folder", file=sys.stderr)
        return 2
    # The sections first (they record what is missing), then the header.
    body = [t1(run), t1s(run), t2(run), t3(run), t4(run), t5(run), t6(run), ps(run), serving(run)]
    print(header(run))
    print("\n\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
