#!/usr/bin/env python3
"""River's rate for the Agrawal generator, to set beside tidewater's criterion bench.

Times `river.datasets.synth.Agrawal(classification_function=0, seed=42)` producing rows
(the generator's own loop, nothing done with the rows), best of three runs of 200,000 rows,
and prints rows per second. Run it in the same session as
`cargo bench -p tidewater-datasets --bench generators` and record both in BENCHMARKS.md.

Usage: python3 benches/peers/river_agrawal_rate.py [--rows N] [--repeats R]
"""

import argparse
import itertools
import platform
import time

import river
from river.datasets import synth


def rate(rows, function):
    gen = synth.Agrawal(classification_function=function, seed=42)
    start = time.perf_counter()
    for _ in itertools.islice(gen, rows):
        pass
    return rows / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    print(f"river {river.__version__}, Python {platform.python_version()}")
    for function in (0, 9):
        best = max(rate(a.rows, function) for _ in range(a.repeats))
        print(f"Agrawal(classification_function={function}, seed=42): "
              f"{best:,.0f} rows/s (best of {a.repeats} x {a.rows:,} rows)")


if __name__ == "__main__":
    main()
