"""Unlabeled paired rows on digits: how much they add, and at what step count.

The weak view is the left half of each digit image plus noise, the strong
view the full image (training only); 899 test images. Of the 898 training
images, ``n`` keep their label and the others are unlabeled pairs (-1). For
each seed (which draws the labeled images and the weights, the same for
every method), SEWClassifier is fitted as:

- uni-modal, equal epochs: the ``n`` labeled images, ``E`` epochs;
- uni-modal, equal steps: the same, ``E * 898 / n`` epochs (as many
  optimiser steps as a fit over all 898 rows);
- SEW, equal steps: the labeled images and their full images, ``E * 898 / n``
  epochs;
- SEW + unlabeled: all 898 images (``n`` labeled), ``E`` epochs;
- SEW + unlabeled, alignment="ey": the same with the Eckart-Young alignment.

An epoch is a pass over every row given to ``fit``, so "SEW + unlabeled"
takes 898 / n times more steps per epoch than a fit on the labeled rows: the
first two rows show what that alone is worth. Gains are paired differences
to "uni-modal, equal steps" over seeds, with 95% t intervals and seeds won.

With ``--recola``, the same comparison on the built-in RECOLA-like data at
the size of ``sewlearn reproduce --quick`` (4 training recordings, every 2nd
frame, Adam, 6 epochs over all rows, the paper's architecture): ``n`` labeled
training recordings drawn per seed, the others unlabeled pairs, CCC on dev,
for two of the paper's cases.

Usage::

    python benchmarks/bench_unlabeled.py              # ~5 min on 2 cores
    python benchmarks/bench_unlabeled.py --labels 50 100 300 --seeds 0 1 2 3 4 5 6 7
    python benchmarks/bench_unlabeled.py --recola --labels 1   # ~15 min
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWClassifier, __version__, ccc_score, paired_gain

PARAMS = dict(
    weak_hidden_layer_sizes=(128,),
    strong_hidden_layer_sizes=(64,),
    latent_dim=32,
    optimizer="adam",
    batch_size=32,
)
EPOCHS = 20
BASELINE = "uni-modal, equal steps"


def digits_views():
    digits = load_digits()
    rng = np.random.default_rng(0)
    full = digits.images.reshape(len(digits.images), -1)
    weak = digits.images[:, :, :4].reshape(len(full), -1)
    weak = weak + rng.normal(scale=4.0, size=weak.shape)
    W_train, W_test, S_train, _, y_train, y_test = train_test_split(
        weak, full, digits.target, test_size=0.5, random_state=0, stratify=digits.target
    )
    scaler = StandardScaler().fit(W_train)
    return scaler.transform(W_train), scaler.transform(W_test), S_train, y_train, y_test


def run(n_labels, seeds, data):
    W_train, W_test, S_train, y_train, y_test = data
    longer = round(EPOCHS * len(y_train) / n_labels)
    scores = {}
    for seed in seeds:
        lab = np.random.default_rng(seed).choice(len(y_train), n_labels, replace=False)
        y_semi = np.full(len(y_train), -1)
        y_semi[lab] = y_train[lab]

        def fit(epochs, X, y, X_strong=None, **extra):
            clf = SEWClassifier(**PARAMS, **extra, max_epochs=epochs, random_state=seed)
            return clf.fit(X, y, X_strong=X_strong).score(W_test, y_test)

        for name, score in (
            (
                "uni-modal, equal epochs",
                lambda: fit(EPOCHS, W_train[lab], y_train[lab]),
            ),
            (BASELINE, lambda: fit(longer, W_train[lab], y_train[lab])),
            (
                "SEW, equal steps",
                lambda: fit(longer, W_train[lab], y_train[lab], S_train[lab]),
            ),
            ("SEW + unlabeled", lambda: fit(EPOCHS, W_train, y_semi, S_train)),
            (
                "SEW + unlabeled, alignment='ey'",
                lambda: fit(EPOCHS, W_train, y_semi, S_train, alignment="ey"),
            ),
        ):
            scores.setdefault(name, []).append(score())
    return scores


def run_recola(n_recordings, seeds, case):
    from sewlearn.experiments import PRESETS, built_in_data, make_model

    settings = dict(PRESETS["quick"])
    data = built_in_data(settings)
    target, weak, strong = case
    train, dev = data.partition == "train", data.partition == "dev"
    recordings = np.unique(data.groups[train])
    X, S, y = data.features[weak], data.features[strong], data.targets[target]
    scores = {}
    for seed in seeds:
        chosen = np.random.default_rng(seed).choice(recordings, n_recordings, False)
        lab = train & np.isin(data.groups, chosen)
        y_semi = np.where(lab, y, np.nan)[train]
        longer = dict(
            settings, max_epochs=round(settings["max_epochs"] * train.sum() / lab.sum())
        )

        def fit(variant, rows, y_fit, use_strong, run_settings, **extra):
            model = make_model(
                weak, strong, variant, seed=seed, settings=run_settings, device="cpu"
            )
            model.set_params(**{f"sewregressor__{k}": v for k, v in extra.items()})
            params = {"sewregressor__X_strong": S[rows]} if use_strong else {}
            model.fit(X[rows], y_fit, **params)
            return ccc_score(y[dev], model.predict(X[dev]))

        for name, score in (
            (BASELINE, lambda: fit("uni-modal", lab, y[lab], False, longer)),
            ("SEW, equal steps", lambda: fit("SEW", lab, y[lab], True, longer)),
            ("SEW + unlabeled", lambda: fit("SEW", train, y_semi, True, settings)),
            (
                "SEW + unlabeled, alignment='ey'",
                lambda: fit("SEW", train, y_semi, True, settings, alignment="ey"),
            ),
        ):
            scores.setdefault(name, []).append(score())
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--recola",
        action="store_true",
        help="the built-in data; --labels counts labeled training recordings",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    lines = []
    if args.recola:
        from sewlearn.experiments import CASES

        runs = [
            (f"{n} rec., {c[0]}: {c[1]}(+{c[2]})", run_recola(n, args.seeds, c))
            for n in args.labels
            for c in (CASES[0], CASES[2])
        ]
    else:
        data = digits_views()
        runs = [(n, run(n, args.seeds, data)) for n in args.labels]
    for n_labels, scores in runs:
        for name, values in scores.items():
            gain = (
                "" if name == BASELINE else str(paired_gain(values, scores[BASELINE]))
            )
            lines.append(f"| {n_labels} | {name} | {np.mean(values):.3f} | {gain} |")
    print(
        f"sewlearn {__version__}, torch {torch.__version__}; "
        f"{'RECOLA-like, CCC on dev' if args.recola else 'digits, test accuracy'}; "
        f"seeds {args.seeds}; {time.perf_counter() - start:.0f} s"
    )
    print()
    print(f"| labels | method | score | gain over {BASELINE} [95% CI], won |")
    print("| ---: | --- | ---: | ---: |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
