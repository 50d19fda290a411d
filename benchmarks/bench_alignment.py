"""SEW with each alignment objective against the uni-modal network, paired.

At the paper's batch 32 the "cca" alignment term is nearly saturated (a batch
of 32 codes of width 128 is almost perfectly correlated whatever the weights);
"ey" (Eckart-Young, unbiased at any batch size of independent rows) is the
remedy on paper. This script measures whether either makes the weak model better:

- the built-in data (``make_recola_like``, the size of ``sewlearn reproduce
  --quick``: 4 recordings of 1,500 frames per partition, every 2nd frame; Adam
  lr 1e-3, 6 epochs, batch 32) for two of the paper's cases, CCC on dev;
- digits: the weak view is the left half of each image plus noise, the strong
  view the full image (training only), with 200 and with all 898 training
  labels; SEWClassifier, accuracy on the 899 test images.

Each row is a *paired* difference to the uni-modal network over seeds (same
split, same seed), with a 95% t interval and the seeds won; the last columns
give the final training alignment loss and its chance level (mismatched
pairs, ``history_[:, "train_alignment_chance"]``), means over seeds.

Usage::

    python benchmarks/bench_alignment.py                  # ~10 min on 2 cores
    python benchmarks/bench_alignment.py --seeds 0 1 2 3 4 5 6 7 8 9
"""

import argparse
import os
import platform
import time

import numpy as np
import sklearn
import torch
from bench_unlabeled import digits_views

from sewlearn import SEWClassifier, __version__, ccc_score, paired_gain
from sewlearn.experiments import CASES, PRESETS, built_in_data, make_model

ALIGNMENTS = ("cca", "ey")


def recola_runs(seeds, cases):
    settings = dict(PRESETS["quick"])
    data = built_in_data(settings)
    train, dev = data.partition == "train", data.partition == "dev"
    rows = []
    for target, weak, strong in cases:
        y_train, y_dev = data.targets[target][train], data.targets[target][dev]
        X_train, X_dev = data.features[weak][train], data.features[weak][dev]
        S_train = data.features[strong][train]
        scores = {name: [] for name in ("uni-modal", *ALIGNMENTS)}
        final = {name: ([], []) for name in ALIGNMENTS}
        for seed in seeds:
            for name in scores:
                variant = "uni-modal" if name == "uni-modal" else "SEW"
                model = make_model(
                    weak, strong, variant, seed=seed, settings=settings, device="cpu"
                )
                fit_params = {}
                if name != "uni-modal":
                    model.set_params(sewregressor__alignment=name)
                    fit_params["sewregressor__X_strong"] = S_train
                model.fit(X_train, y_train, **fit_params)
                scores[name].append(ccc_score(y_dev, model.predict(X_dev)))
                if name != "uni-modal":
                    history = model[-1].history_
                    final[name][0].append(history[-1, "train_alignment_loss"])
                    final[name][1].append(history[-1, "train_alignment_chance"])
        case = f"RECOLA-like {target}: {weak}(+{strong}), CCC"
        rows += _rows(case, scores, final)
    return rows


def digits_runs(seeds, label_counts):
    # The same views as bench_unlabeled.py (run from benchmarks/ as a script).
    W_train, W_test, S_train, y_train, y_test = digits_views()
    params = dict(
        weak_hidden_layer_sizes=(128,),
        strong_hidden_layer_sizes=(64,),
        latent_dim=32,
        optimizer="adam",
        batch_size=32,
        max_epochs=25,
    )
    rows = []
    for n_labels in label_counts:
        scores = {name: [] for name in ("uni-modal", *ALIGNMENTS)}
        final = {name: ([], []) for name in ALIGNMENTS}
        for seed in seeds:
            rows_used = np.random.default_rng(seed).choice(
                len(y_train), min(n_labels, len(y_train)), replace=False
            )
            Xl, Sl, yl = W_train[rows_used], S_train[rows_used], y_train[rows_used]
            # Equal steps whatever the number of labels: 25 epochs of all rows.
            epochs = round(params["max_epochs"] * len(y_train) / len(yl))
            for name in scores:
                clf = SEWClassifier(
                    **{**params, "max_epochs": epochs}, random_state=seed
                )
                if name == "uni-modal":
                    clf.fit(Xl, yl)
                else:
                    clf.set_params(alignment=name).fit(Xl, yl, X_strong=Sl)
                    final[name][0].append(clf.history_[-1, "train_alignment_loss"])
                    final[name][1].append(clf.history_[-1, "train_alignment_chance"])
                scores[name].append(clf.score(W_test, y_test))
        label = "all" if n_labels >= len(y_train) else str(n_labels)
        rows += _rows(f"digits, {label} labels, accuracy", scores, final)
    return rows


def _rows(case, scores, final):
    out = [dict(case=case, method="uni-modal", score=np.mean(scores["uni-modal"]))]
    for name in ALIGNMENTS:
        gain = paired_gain(scores[name], scores["uni-modal"])
        out.append(
            dict(
                case=case,
                method=f"SEW, alignment={name!r}",
                score=np.mean(scores[name]),
                gain=gain,
                loss=np.mean(final[name][0]),
                chance=np.mean(final[name][1]),
            )
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--digits-labels", type=int, nargs="+", default=[200, 10**9])
    parser.add_argument("--skip-recola", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = digits_runs(args.seeds, args.digits_labels)
    if not args.skip_recola:
        rows = recola_runs(args.seeds, (CASES[0], CASES[2])) + rows
    print(
        f"sewlearn {__version__}, torch {torch.__version__} ({args.threads} "
        f"thread(s)), scikit-learn {sklearn.__version__}, {platform.machine()} "
        f"{os.cpu_count()} CPUs; seeds {args.seeds}; "
        f"{time.perf_counter() - start:.0f} s"
    )
    print()
    print(
        "| case | method | mean score | gain over uni-modal [95% CI], seeds won "
        "| final L_al | chance |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        if "gain" in r:
            print(
                f"| {r['case']} | {r['method']} | {r['score']:.3f} | {r['gain']} | "
                f"{r['loss']:.3f} | {r['chance']:.3f} |"
            )
        else:
            print(f"| {r['case']} | {r['method']} | {r['score']:.3f} | | | |")


if __name__ == "__main__":
    main()
