#!/usr/bin/env python3
"""Class balance of River 0.26.1's stream generators over 100,000 rows.

The figures this prints are recorded, with a tolerance, in
`datasets/tests/synth.rs` (`RIVER_BALANCE`): tidewater's generators draw from a different
random source, so their rows differ from River's, but over 100k rows the share of each class
(and the mean target of the regression generators) must agree within sampling error.

Usage: python3 benches/peers/river_class_balance.py   (needs river 0.26.1; ~1 min)
"""

import itertools
import sys

import river
from river.datasets import synth

N = 100_000
SEED = 42


def shares(dataset, n_classes):
    counts = [0] * n_classes
    for _, y in itertools.islice(dataset, N):
        counts[int(y)] += 1
    return [c / N for c in counts]


def mean(dataset):
    return sum(y for _, y in itertools.islice(dataset, N)) / N


CASES = [
    ("sea(variant=0)", lambda: synth.SEA(variant=0, seed=SEED), 2),
    ("sea(variant=1)", lambda: synth.SEA(variant=1, seed=SEED), 2),
    ("sea(variant=2)", lambda: synth.SEA(variant=2, seed=SEED), 2),
    ("sea(variant=3)", lambda: synth.SEA(variant=3, seed=SEED), 2),
    ("sea(variant=0,noise=0.2)", lambda: synth.SEA(variant=0, noise=0.2, seed=SEED), 2),
    *[(f"stagger(classification_function={f})",
       (lambda f=f: synth.STAGGER(classification_function=f, seed=SEED)), 2) for f in range(3)],
    ("stagger(classification_function=0,balance_classes=true)",
     lambda: synth.STAGGER(classification_function=0, seed=SEED, balance_classes=True), 2),
    *[(f"agrawal(classification_function={f})",
       (lambda f=f: synth.Agrawal(classification_function=f, seed=SEED)), 2) for f in range(10)],
    ("agrawal(classification_function=0,balance_classes=true)",
     lambda: synth.Agrawal(classification_function=0, seed=SEED, balance_classes=True), 2),
    ("agrawal(classification_function=2,perturbation=0.2)",
     lambda: synth.Agrawal(classification_function=2, seed=SEED, perturbation=0.2), 2),
    ("hyperplane()", lambda: synth.Hyperplane(seed=SEED), 2),
    ("hyperplane(mag_change=0.001,noise_percentage=0.1)",
     lambda: synth.Hyperplane(seed=SEED, mag_change=0.001, noise_percentage=0.1), 2),
    ("led()", lambda: synth.LED(seed=SEED), 10),
    ("led(noise_percentage=0.1,irrelevant_features=true)",
     lambda: synth.LED(seed=SEED, noise_percentage=0.1, irrelevant_features=True), 10),
    ("led_drift(irrelevant_features=true,n_drift_features=4)",
     lambda: synth.LEDDrift(seed=SEED, irrelevant_features=True, n_drift_features=4), 10),
    *[(f"sine(classification_function={f})",
       (lambda f=f: synth.Sine(classification_function=f, seed=SEED)), 2) for f in range(4)],
    ("sine(classification_function=2,balance_classes=true,has_noise=true)",
     lambda: synth.Sine(classification_function=2, seed=SEED, balance_classes=True,
                        has_noise=True), 2),
    ("mixed(classification_function=0)", lambda: synth.Mixed(classification_function=0, seed=SEED), 2),
    ("mixed(classification_function=1)", lambda: synth.Mixed(classification_function=1, seed=SEED), 2),
    ("concept_drift_stream()", lambda: synth.ConceptDriftStream(seed=SEED), 2),
    # Model-dependent (the random centroids / tree decide the classes): printed for the
    # record only; the tests check these against the generator's own model instead.
    ("random_rbf()", lambda: synth.RandomRBF(seed_model=SEED, seed_sample=SEED), 2),
    ("random_tree()", lambda: synth.RandomTree(seed_tree=SEED, seed_sample=SEED), 2),
]

REGRESSION = [
    ("friedman()", lambda: synth.Friedman(seed=SEED)),
    ("friedman_drift()", lambda: synth.FriedmanDrift(seed=SEED)),
    ("friedman_drift(drift_type=gra,position=[20000,60000])",
     lambda: synth.FriedmanDrift(drift_type="gra", position=(20_000, 60_000), seed=SEED)),
]


def main():
    if river.__version__ != "0.26.1":
        sys.exit(f"river {river.__version__}: these figures are for river 0.26.1")
    print(f"# River {river.__version__}, {N} rows, seed {SEED}: share of each class")
    for name, make, k in CASES:
        s = shares(make(), k)
        print(f'("{name}", &[{", ".join(f"{v:.5f}" for v in s)}]),')
    print("# mean target")
    for name, make in REGRESSION:
        print(f'("{name}", {mean(make()):.5f}),')


if __name__ == "__main__":
    main()
