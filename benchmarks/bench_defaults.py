"""Out of the box: the default uni-modal SEW network against scikit-learn's MLP.

A user's first fit is ``make_pipeline(StandardScaler(), SEWRegressor())`` on
their own data. The anchor is scikit-learn's ``MLPRegressor`` /
``MLPClassifier`` at their defaults, in the same pipeline; for regression
the better (per data set, by mean held-out score) of the plain MLP and the
MLP inside ``TransformedTargetRegressor(transformer=StandardScaler())``, a
careful user's MLP. Each configuration of SEW is fitted without
``X_strong`` (the uni-modal network) on the same split and seed as the MLP,
and reported as the paired difference of held-out R^2 (accuracy for
digits) over seeds, with its 95% interval and the seeds won, and the median
ratio of fit times (SEW / MLP).

Configurations (``--configs``):

- ``default``: ``SEWRegressor()`` / ``SEWClassifier()`` as they are now;
- ``paper``: the paper's training recipe, ``**PAPER_TRAINING`` (SGD,
  momentum 0.7, lr 1e-3, batches of 32) and, for the regressor, targets as
  given (``standardize_target=False``): the defaults before this study;
- ``paper+scaled``: the paper's recipe with standardised targets.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_defaults.py --configs default paper
    OMP_NUM_THREADS=1 python benchmarks/bench_defaults.py --seeds 0 1 --quick
"""

import argparse
import time

import numpy as np
import torch
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits, make_regression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import PAPER_TRAINING, SEWClassifier, SEWRegressor, paired_gain

CONFIGS = {
    "default": {},
    "paper": {**PAPER_TRAINING, "standardize_target": False},
    "paper+scaled": {**PAPER_TRAINING, "standardize_target": True},
    "adam b32": {"optimizer": "adam", "lr": 1e-3, "batch_size": 32},
    "adam b256": {"optimizer": "adam", "lr": 1e-3, "batch_size": 256},
    "adam b256 e200": {
        "optimizer": "adam",
        "lr": 1e-3,
        "batch_size": 256,
        "max_epochs": 200,
    },
}


def datasets(quick):
    """(name, X, y, is_classification), the data sets of issue 24."""
    settings = [(300, 20.0), (2000, 20.0)]
    if not quick:
        settings = [(300, 5.0), (300, 20.0), (300, 100.0), (2000, 20.0), (5000, 20.0)]
    for n, noise in settings:
        X, y = make_regression(
            n_samples=n, n_features=30, n_informative=10, noise=noise, random_state=0
        )
        yield f"make_regression n={n} noise={noise:g}", X, y, False
    yield "load_diabetes", *load_diabetes(return_X_y=True), False
    yield "load_digits", *load_digits(return_X_y=True), True


def _timed_score(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return model.score(X_test, y_test), seconds


def run(configs, seeds, quick):
    rows = []
    for name, X, y, classification in datasets(quick):
        scores = {c: [] for c in configs}
        seconds = {c: [] for c in configs}
        mlp_scores = {"mlp": [], "mlp+scaled y": []}
        mlp_seconds = {"mlp": [], "mlp+scaled y": []}
        for seed in seeds:
            X_train, X_test, y_train, y_test = train_test_split(
                X,
                y,
                test_size=0.3,
                random_state=seed,
                stratify=y if classification else None,
            )
            split = (X_train, y_train, X_test, y_test)
            if classification:
                mlps = {"mlp": MLPClassifier(random_state=seed)}
            else:
                mlps = {
                    "mlp": MLPRegressor(random_state=seed),
                    "mlp+scaled y": TransformedTargetRegressor(
                        MLPRegressor(random_state=seed), transformer=StandardScaler()
                    ),
                }
            for label, mlp in mlps.items():
                score, sec = _timed_score(make_pipeline(StandardScaler(), mlp), *split)
                mlp_scores[label].append(score)
                mlp_seconds[label].append(sec)
            for config in configs:
                params = dict(CONFIGS[config], random_state=seed)
                if classification:
                    params.pop("standardize_target", None)
                    sew = SEWClassifier(**params)
                else:
                    sew = SEWRegressor(**params)
                score, sec = _timed_score(make_pipeline(StandardScaler(), sew), *split)
                scores[config].append(score)
                seconds[config].append(sec)
        # The anchor: the better MLP on this data set (by its mean score).
        anchor = max(
            (k for k in mlp_scores if mlp_scores[k]),
            key=lambda k: np.mean(mlp_scores[k]),
        )
        for config in configs:
            rows.append(
                dict(
                    data=name,
                    config=config,
                    anchor=anchor,
                    anchor_score=float(np.mean(mlp_scores[anchor])),
                    gain=paired_gain(scores[config], mlp_scores[anchor]),
                    time_ratio=float(
                        np.median(np.divide(seconds[config], mlp_seconds[anchor]))
                    ),
                )
            )
            print(_row_markdown(rows[-1]), flush=True)
    return rows


def _row_markdown(row):
    return (
        f"| {row['data']} | {row['config']} | {row['anchor']} "
        f"{row['anchor_score']:.3f} | {row['gain']} | {row['time_ratio']:.2f} |"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS)
    )
    parser.add_argument("--quick", action="store_true", help="fewer data sets")
    args = parser.parse_args(argv)
    print(
        f"torch threads: {torch.get_num_threads()}; seeds {args.seeds}; R^2 "
        "(accuracy for digits) on 30% held out, paired gain of SEW over the "
        "anchor MLP; fit-time ratio SEW / MLP (median)\n"
    )
    print("| data | SEW config | anchor (mean score) | gain | time ratio |")
    print("|---|---|---|---|---|")
    run(args.configs, args.seeds, args.quick)


if __name__ == "__main__":
    main()
