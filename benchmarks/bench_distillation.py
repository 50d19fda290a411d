"""Output-level transfer (distillation) against representation-level (SEW).

For each seed (which draws the labeled rows and the weights, the same for
every method: paired comparisons), at several label budgets:

- uni-modal network: the labeled rows alone, as many optimiser steps as a
  fit over all rows (the baseline of the network rows);
- supervised SEW: the labeled rows and their strong view, equal steps;
- SEW + unlabeled pairs: every training row, the unlabeled ones paired;
- distilled, network student: :class:`~sewlearn.DistilledClassifier` /
  :class:`~sewlearn.DistilledRegressor` whose student is the uni-modal
  network (fitted without ``X_strong``) over every row, the same epochs as
  "SEW + unlabeled"; the teacher is a linear model on the strong view
  (``teacher_view="strong"``) or on both views ("both"), ``imitation=1``;
- both transfers: the same with the SEW network as the student, given
  ``X_strong`` too (``estimator_strong=True``), teacher on both views;
- SEW's own output-level term, ``distillation=1`` over every training row
  (the epochs of "SEW + unlabeled"): with the representation terms off
  (``alpha=beta=gamma=0``: ``L_pr + L_kd`` only) and on (eq. 9 + ``L_kd``),
  each with the joint teacher (a head on ``S_E``'s code, trained in the same
  network) and with the linear teacher on both views (cross-fitted);
- linear student alone (the baseline of the linear rows), and distilled
  with that linear student, for both teacher views and ``imitation`` 0, 0.5
  and 1 (the study of the defaults).

Data: (a) digits, the views of ``bench_unlabeled`` (weak: the left half of
each image plus noise; strong: the full image), test accuracy; its negative
control swaps the roles (the "strong" view, the noisy half, is weaker than
the weak one). (b) The built-in RECOLA-like data at the size of ``sewlearn
reproduce --quick``, CCC on dev: arousal from video-geometric features with
audio as the strong view; its negative control is the paper's valence case
(audio weak, video-geometric "strong"), where the strong view alone
predicts worse. ``--labels`` counts labeled images (digits) and labeled
training recordings (RECOLA-like).

The teacher's out-of-fold score on the labeled rows and the guard's
reference (the linear student cross-fitted on the weak view) are averaged
over seeds under each table.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_distillation.py            # both
    python benchmarks/bench_distillation.py --data digits --seeds 0 1 2
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import (
    DistilledClassifier,
    DistilledRegressor,
    SEWClassifier,
    __version__,
    ccc_score,
    paired_gain,
)
from sewlearn.exceptions import AlignmentSaturationWarning, WeakTeacherWarning

DIGITS_EPOCHS = 20
NETWORK = "uni-modal network"
LINEAR = "linear student alone"
VIEWS = ("strong", "both")
IMITATIONS = (0.0, 0.5, 1.0)
RIDGE_ALPHAS = np.logspace(-1, 5, 13)


def digits_teacher():
    """The linear teacher of the digits runs."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def recola_linear():
    """The linear teacher and student of the RECOLA-like runs."""
    return make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))


def with_params(model, **params):
    """``model.set_params(**params)``, prefixed for a Pipeline's last step."""
    steps = getattr(model, "steps", None)
    prefix = f"{steps[-1][0]}__" if steps else ""
    return model.set_params(**{prefix + k: v for k, v in params.items()})


KD_VARIANTS = {
    "SEW L_kd only (alpha=beta=gamma=0)": dict(alpha=0.0, beta=0.0, gamma=0.0),
    "SEW + unlabeled + L_kd": {},
}


JOINT_TEACHERS = ("joint", "joint on strong code", "linear on both")


def compare(task, seeds, n_labels, methods="all"):
    """Scores of every method over ``seeds``, and the guard's figures.

    ``task`` gives the data and the models: ``draw(seed, n_labels)`` returns
    the labeled-row mask of the training rows; ``network(seed, epochs)`` the
    SEW network (uni-modal when fitted without ``X_strong``); ``epochs`` and
    ``longer(labeled)`` the epochs over all rows and over the labeled rows
    (equal steps); ``teacher()`` and ``linear()`` the linear models;
    ``distilled`` the meta-estimator's class; ``score(model)`` the test
    score; ``unlabeled`` the marker of an unlabeled target.
    """
    X, S, y = task["X"], task["S"], task["y"]
    scores, guard = {}, {}

    def add(name, value):
        scores.setdefault(name, []).append(value)

    for seed in seeds:
        labeled = task["draw"](seed, n_labels)
        y_semi = np.where(labeled, y, task["unlabeled"])
        if task["unlabeled"] == -1:
            y_semi = y_semi.astype(y.dtype)
        longer = task["longer"](labeled)
        net = task["network"]
        baseline = task["student_network"](seed, longer)
        add(NETWORK, task["score"](baseline.fit(X[labeled], y[labeled])))
        add(
            "supervised SEW",
            task["score"](
                net(seed, longer).fit(
                    X[labeled], y[labeled], **task["strong"](S, labeled)
                )
            ),
        )
        add(
            "SEW + unlabeled pairs",
            task["score"](
                net(seed, task["epochs"]).fit(X, y_semi, **task["strong"](S, None))
            ),
        )
        for name, params in KD_VARIANTS.items():
            for teacher in JOINT_TEACHERS:
                model = with_params(
                    net(seed, task["epochs"]),
                    distillation=1.0,
                    teacher="joint" if "joint" in teacher else task["teacher"](),
                    **params,
                )
                final = model.steps[-1][1] if hasattr(model, "steps") else model
                if teacher == "joint on strong code":
                    # The design alternative: a joint teacher that sees the
                    # strong codes only (not a public option).
                    final._joint_view = "strong"
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", WeakTeacherWarning)
                    model.fit(X, y_semi, **task["strong"](S, None))
                add(f"{name}, {teacher} teacher", task["score"](model))
                if final.teacher_score_ is not None and not params:
                    # SEW's guard: the linear teacher against itself on X.
                    guard.setdefault("SEW teacher", []).append(final.teacher_score_)
                    guard.setdefault("SEW teacher on weak", []).append(
                        final.weak_score_
                    )
                    guard.setdefault("SEW guard fired", []).append(
                        float(final.teacher_score_ <= final.weak_score_)
                    )
        if methods == "sew":
            continue
        for view in VIEWS:
            model = task["distilled"](
                task["student_network"](seed, task["epochs"]),
                task["teacher"](),
                teacher_view=view,
                imitation=1.0,
                cv=task["cv"],
                on_weak_teacher="ignore",
            ).fit(X, y_semi, X_strong=S)
            add(f"distilled, network student, teacher on {view}", task["score"](model))
        # Both transfers: a SEW student that also gets X_strong.
        model = task["distilled"](
            net(seed, task["epochs"]),
            task["teacher"](),
            teacher_view="both",
            imitation=1.0,
            cv=task["cv"],
            on_weak_teacher="ignore",
            estimator_strong=True,
        ).fit(X, y_semi, X_strong=S)
        add("distilled, SEW student (+X_strong), teacher on both", task["score"](model))
        add(LINEAR, task["score"](task["linear"]().fit(X[labeled], y[labeled])))
        for view in VIEWS:
            for imitation in IMITATIONS:
                with warnings.catch_warnings(record=True):
                    warnings.simplefilter("always", WeakTeacherWarning)
                    model = task["distilled"](
                        task["linear"](),
                        task["teacher"](),
                        teacher_view=view,
                        imitation=imitation,
                        cv=task["cv"],
                    ).fit(X, y_semi, X_strong=S)
                add(
                    f"distilled, linear student, teacher on {view}, "
                    f"imitation={imitation:g}",
                    task["score"](model),
                )
                if imitation == IMITATIONS[-1]:
                    guard.setdefault(f"teacher on {view}", []).append(
                        model.teacher_score_
                    )
                    guard.setdefault("linear student on weak", []).append(
                        model.weak_score_
                    )
    return scores, guard


def digits_task(negative=False):
    """The digits comparison; ``negative`` swaps the weak and strong views."""
    from bench_unlabeled import PARAMS, digits_views

    W_train, W_test, S_train, y_train, y_test = digits_views()
    scaler = StandardScaler().fit(S_train)
    S_train = scaler.transform(S_train)
    if negative:
        # The full image (test images rebuilt from the same split) is now the
        # weak view; the noisy half is the "strong" one.
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        full = digits.images.reshape(len(digits.images), -1)
        _, full_test = train_test_split(
            full, test_size=0.5, random_state=0, stratify=digits.target
        )
        W_train, W_test, S_train = S_train, scaler.transform(full_test), W_train
    X_test = W_test

    def network(seed, epochs):
        return SEWClassifier(**PARAMS, max_epochs=epochs, random_state=seed)

    def draw(seed, n_labels):
        rows = np.random.default_rng(seed).choice(len(y_train), n_labels, False)
        return np.isin(np.arange(len(y_train)), rows)

    return dict(
        X=W_train,
        S=S_train,
        y=y_train,
        unlabeled=-1,
        draw=draw,
        network=network,
        student_network=network,
        epochs=DIGITS_EPOCHS,
        longer=lambda labeled: round(DIGITS_EPOCHS * len(labeled) / labeled.sum()),
        strong=lambda S, rows: {"X_strong": S if rows is None else S[rows]},
        teacher=digits_teacher,
        linear=lambda: LogisticRegression(max_iter=2000),
        distilled=DistilledClassifier,
        cv=5,
        score=lambda model: model.score(X_test, y_test),
    )


def recola_task(case):
    """The RECOLA-like comparison for ``case`` (target, weak, strong)."""
    from sewlearn.experiments import PRESETS, built_in_data, make_model

    settings = dict(PRESETS["quick"])
    data = built_in_data(settings)
    target, weak, strong = case
    train, dev = data.partition == "train", data.partition == "dev"
    recordings = np.unique(data.groups[train])
    X, S = data.features[weak][train], data.features[strong][train]
    y = data.targets[target][train]
    groups = data.groups[train]
    X_dev, y_dev = data.features[weak][dev], data.targets[target][dev]

    def network(seed, epochs, variant="SEW"):
        model = make_model(
            weak,
            strong,
            variant,
            seed=seed,
            settings=dict(settings, max_epochs=epochs),
            device="cpu",
        )
        return model

    def draw(seed, n_recordings):
        chosen = np.random.default_rng(seed).choice(recordings, n_recordings, False)
        return np.isin(groups, chosen)

    return dict(
        X=X,
        S=S,
        y=y,
        unlabeled=np.nan,
        draw=draw,
        network=network,
        student_network=lambda seed, epochs: network(seed, epochs, "uni-modal"),
        epochs=settings["max_epochs"],
        longer=lambda labeled: max(
            1, round(settings["max_epochs"] * len(labeled) / labeled.sum())
        ),
        strong=lambda S, rows: {
            "sewregressor__X_strong": S if rows is None else S[rows]
        },
        teacher=recola_linear,
        linear=recola_linear,
        distilled=DistilledRegressor,
        # Contiguous blocks of each labeled recording: neighbouring frames
        # are nearly identical, so shuffled folds would leak.
        cv=5,
        score=lambda model: ccc_score(y_dev, model.predict(X_dev)),
    )


def table(title, runs):
    """Markdown lines: each method's mean and its paired gain over its baseline."""
    lines = [
        f"**{title}**",
        "",
        "| labels | method | score | paired gain [95% CI], seeds won |",
        "| ---: | --- | ---: | ---: |",
    ]
    notes = []
    for n_labels, (scores, guard) in runs:
        for name, values in scores.items():
            if name in (NETWORK, LINEAR):
                gain = "baseline"
            else:
                base = LINEAR if name.startswith("distilled, linear") else NETWORK
                gain = f"{paired_gain(values, scores[base])} (over {base})"
                if name.startswith("SEW + unlabeled + L_kd"):
                    # Does L_kd add to the representation terms?
                    sew = scores["SEW + unlabeled pairs"]
                    gain += f"; {paired_gain(values, sew)} (over SEW + unlabeled)"
            lines.append(f"| {n_labels} | {name} | {np.mean(values):.3f} | {gain} |")
        notes.append(
            f"{n_labels} labels, out-of-fold scores on the labeled rows: "
            + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in guard.items())
        )
    return lines + [""] + notes + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits", "recola", "all"], default="all")
    parser.add_argument("--digits-labels", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--recola-labels", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--methods",
        choices=["all", "sew"],
        default="all",
        help="'sew': the network baseline, SEW and SEW's L_kd rows only",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", AlignmentSaturationWarning)
    start = time.perf_counter()
    out = []
    if args.data in ("digits", "all"):
        task = digits_task()
        runs = [
            (n, compare(task, args.seeds, n, args.methods)) for n in args.digits_labels
        ]
        out += table("digits, test accuracy", runs)
        task = digits_task(negative=True)
        n = args.digits_labels[0]
        out += table(
            "digits, negative control (views swapped), test accuracy",
            [(n, compare(task, args.seeds, n, args.methods))],
        )
    if args.data in ("recola", "all"):
        from sewlearn.experiments import CASES

        for case, title in (
            (CASES[0], "RECOLA-like, arousal: video_geometric (+audio), CCC on dev"),
            (
                CASES[2],
                "RECOLA-like, negative control, valence: audio (+video_geometric), "
                "CCC on dev",
            ),
        ):
            task = recola_task(case)
            budgets = args.recola_labels if case is CASES[0] else args.recola_labels[:1]
            out += table(
                title,
                [(n, compare(task, args.seeds, n, args.methods)) for n in budgets],
            )
    print(
        f"sewlearn {__version__}, torch {torch.__version__}; seeds {args.seeds}; "
        f"{time.perf_counter() - start:.0f} s"
    )
    print()
    print("\n".join(out))


if __name__ == "__main__":
    main()
