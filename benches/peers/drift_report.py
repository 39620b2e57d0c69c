#!/usr/bin/env python3
"""Reads what benches/peers/drift.sh wrote (library.jsonl, cli_<detector>_<i>.json, load.txt)
and the peers' results (T3 records of results/peers.json), and prints the issue-7 section of
BENCHMARKS.md: per-update cost of the library and of `tidewater drift` end to end against
River and MOA, the ratios the issue asks for, and the detections beside River's.

With --exact, River 0.26.1 is run again over the whole stream and every drift index of
`tidewater drift` is compared with River's (the peers' record keeps only the first 20);
--exact-json FILE also writes that comparison as JSON (benches/report.py reads it).

Usage: drift_report.py OUT_DIR PEERS_JSON STREAM_BIN [--runs N] [--exact [--exact-json FILE]]
"""
import argparse
import glob
import json
import os
import statistics

DETECTORS = [
    # ours, River's record, MOA's Java record, River constructor, issue's ratios (lib, cli)
    ("adwin", "river ADWIN", "MOA ADWIN (Java direct)", "ADWIN", 8, 5),
    ("page_hinkley", "river PageHinkley", "MOA PageHinkleyDM (Java direct)", "PageHinkley", 30, 10),
    ("ddm", "river DDM", "MOA DDM (Java direct)", "binary.DDM", 30, 10),
]


def river_full(stream_bin, ctor):
    import numpy as np
    from river import drift

    x = np.fromfile(stream_bin, dtype="<f8").tolist()
    obj = drift
    for part in ctor.split("."):
        obj = getattr(obj, part)
    d = obj()
    if ctor == "binary.DDM":
        x = [v == 1.0 for v in x]
    out = []
    for i, v in enumerate(x):
        d.update(v)
        if d.drift_detected:
            out.append(i)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("peers_json")
    ap.add_argument("stream_bin")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--exact-json", help="with --exact: write the comparison to this file")
    a = ap.parse_args()

    lib = {}
    with open(os.path.join(a.out, "library.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            lib[r["detector"]] = r
    peers = {r["peer"]: r for r in json.load(open(a.peers_json))["results"] if r["task"] == "T3"}
    load = open(os.path.join(a.out, "load.txt")).read().strip().splitlines()

    print("## Issue 7: drift detectors (ADWIN, Page-Hinkley, DDM) on `drift_stream_10m.bin`\n")
    print("Command: `benches/peers/drift.sh` (peers: `run_peers.py --tasks T3`; library: "
          f"`examples/drift_stream.rs`, median of {a.runs} runs of `update` per value and of `update_many` "
          "over the 10M values; "
          f"end to end: `tidewater drift --detector D --data drift_stream_10m.csv --json`, median of {a.runs} runs, "
          "reading the one-column CSV included).\n")
    for line in load:
        print(f"- {line}")
    print()
    print("| detector | River ns/update | MOA Java ns/update | tidewater `update` ns | vs River | vs MOA "
          "| `update_many` ns | vs River | vs MOA "
          "| `tidewater drift` ns/row (CSV read incl.) | vs River | asked (lib, CLI) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    rows = []
    for ours, rname, mname, ctor, want_lib, want_cli in DETECTORS:
        r = peers.get(rname, {})
        m = peers.get(mname, {})
        rns = r.get("metrics", {}).get("ns_per_update")
        mns = m.get("metrics", {}).get("ns_per_update")
        l = lib[ours]
        lns = l["ns_per_update"]  # update_many
        uns = l.get("update_ns_per_update")  # per value (absent in outputs before issue 16)
        cli = []
        for p in sorted(glob.glob(os.path.join(a.out, f"cli_{ours}_*.json"))):
            cli.append(json.load(open(p)))
        csec = statistics.median(c["seconds"] for c in cli)
        cns = csec / cli[0]["rows"] * 1e9
        fmt = lambda v: "-" if v is None else f"{v:,.1f}"
        ratio = lambda num, den: "-" if num is None or den in (None, 0) else f"{num / den:.1f}x"
        print(f"| {ours} | {fmt(rns)} | {fmt(mns)} | {fmt(uns)} | {ratio(rns, uns)} | {ratio(mns, uns)} "
              f"| {lns:.1f} | {ratio(rns, lns)} | {ratio(mns, lns)} | {cns:.1f} | {ratio(rns, cns)} | {want_lib}x / {want_cli}x River"
              + (", >= MOA" if ours != "adwin" else "") + " |")
        rows.append((ours, r, m, l, cli))

    print("\nDetections (change at 5,000,000; false alarms are detections before it; delay is "
          "the first detection after it minus 5,000,000):\n")
    print("| detector | source | detections | false alarms | delay | first detections |")
    print("|---|---|---:|---:|---:|---|")
    for ours, r, m, l, cli in rows:
        for name, rec in (("River", r), ("MOA (Java)", m)):
            met = rec.get("metrics", {})
            if not met:
                continue
            note = "" if rec.get("window", [0, 10_000_000]) == [0, 10_000_000] else f" (window {rec['window']})"
            print(f"| {ours} | {name}{note} | {met.get('n_detections')} | {met.get('false_alarms_before_change')} "
                  f"| {met.get('delay')} | {met.get('detections_head', [])[:6]} |")
        print(f"| {ours} | tidewater | {l['n_detections']} | {l['false_alarms_before_change']} | {l['delay']} "
              f"| {l['detections_head'][:6]} |")
        same_cli = all(c["drifts"] == cli[0]["drifts"] for c in cli)
        lib_head = l["detections_head"]
        assert cli[0]["drifts"][:20] == lib_head, f"{ours}: the command line and the library disagree"
        rmet = r.get("metrics", {})
        if rmet and r.get("window", [0, 10_000_000]) == [0, 10_000_000]:
            ok = (rmet.get("n_detections") == l["n_detections"] and rmet.get("detections_head") == lib_head[:20])
            print(f"|  |  | {'same as River' if ok else 'DIFFERENT from River'} |  |  | "
                  f"{'all runs identical' if same_cli else 'runs differ'} |")
    if a.exact:
        print("\nEvery drift index of `tidewater drift` against River 0.26.1 rerun over the whole stream:\n")
        exact = {}
        for ours, r, m, l, cli in rows:
            ctor = [d for d in DETECTORS if d[0] == ours][0][3]
            want = river_full(a.stream_bin, ctor)
            got = cli[0]["drifts"]
            first = next((i for i, (x, y) in enumerate(zip(want, got)) if x != y), min(len(want), len(got)))
            exact[ours] = {"river": len(want), "tidewater": len(got), "identical": want == got,
                           "first_difference": None if want == got else first}
            print(f"- {ours}: River {len(want)} drifts, tidewater {len(got)}: "
                  + ("identical" if want == got else f"DIFFERENT (first difference at {first})"))
        if a.exact_json:
            with open(a.exact_json, "w") as f:
                json.dump(exact, f, indent=1)


if __name__ == "__main__":
    main()
