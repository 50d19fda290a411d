# License: BSD 3 clause
"""``sewlearn compare``: does my strong view make my weak model better?

On a user's own files: the weak view, one or several strong views (side by
side, one strong view), the target and optional groups. First each view
alone (is the "strong" view stronger?), then each method's paired gain over
the uni-modal network on the weak view: same split, same seed, with and
without the strong view, with a 95% t interval and the seeds won
(:func:`sewlearn.paired_gain`).
"""

import ast
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import type_of_target

from sewlearn import (
    SEWClassifier,
    SEWRegressor,
    __version__,
    ccc_score,
)
from sewlearn._parallel import torch_threads_for_task
from sewlearn.exceptions import AlignmentSaturationWarning, WeakTeacherWarning

from ._errors import TaskFailedError, UsageError
from ._output import check_output, publish, staging
from ._report import format_gain, gain_columns, interval_note, write_csv
from ._store import TaskStore, fingerprint
from ._study import run_study

# Method name -> the SEW parameters it changes (eq. 9's loss weights, the
# alignment objective); None: the uni-modal network (no X_strong).
METHODS = {
    "uni-modal": None,
    "sew": {},
    "sew-ey": {"alignment": "ey"},
    "no-sd2": {"beta": 0.0},
    "no-cca": {"gamma": 0.0},
    "no-sd1": {"alpha": 0.0},
    "no-cca-sd1": {"alpha": 0.0, "gamma": 0.0},
    # SEW with its output-level term L_kd, teacher="linear" (cross-fitted).
    "sew-kd": {"distillation": 1.0},
    "distilled": "distilled",
}
DEFAULT_METHODS = ("uni-modal", "sew")
RESULT_FILES = ("results.md", "views.csv", "gains.csv", "gains.png")


class CompareFailedError(TaskFailedError):
    """A fit of ``sewlearn compare`` failed; the message names it."""

    def __init__(self, task, exc):
        super().__init__(task, exc, command="sewlearn compare")


def load_array(path, option, *, numeric=True):
    """The array in ``path`` (.npy, .npz with one array, .csv, .parquet).

    Tables are read with pandas (a header row is expected in .csv); with
    ``numeric`` every column must hold numbers. Any problem is a
    :class:`UsageError` naming the option and the file.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{option} {path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            array = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                names = list(archive.files)
                if len(names) != 1:
                    raise UsageError(
                        f"{option} {path}: a .npz file must hold one array, this "
                        f"one holds {len(names)} ({', '.join(names)})"
                    )
                array = archive[names[0]]
        elif suffix in (".csv", ".parquet"):
            import pandas as pd

            table = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
            if numeric:
                bad = [
                    str(c)
                    for c in table.columns
                    if not pd.api.types.is_numeric_dtype(table[c])
                ]
                if bad:
                    raise UsageError(
                        f"{option} {path}: column(s) {', '.join(bad)} are not numbers"
                    )
            array = table.to_numpy()
        else:
            raise UsageError(
                f"{option} {path}: unknown file type {suffix or '(none)'!r} "
                "(.npy, .npz, .csv or .parquet)"
            )
    except UsageError:
        raise
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(f"{option} {path}: {type(exc).__name__}: {exc}") from None
    if numeric and not np.issubdtype(array.dtype, np.number):
        raise UsageError(f"{option} {path}: the values are not numbers")
    if array.ndim == 0:
        raise UsageError(f"{option} {path}: a single value, not rows")
    return array


def _as_column(array, option, path):
    array = np.asarray(array)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise UsageError(
            f"{option} {path}: one column expected, got shape {array.shape}"
        )
    return array


def load_inputs(weak, strong, target, groups=None, task="auto"):
    """The checked inputs of a comparison, as a dict; :class:`UsageError` if bad.

    ``strong`` is a list of paths; their columns are put side by side.
    ``task`` ("auto", "regression" or "classification"): inferred from the
    target with :func:`~sklearn.utils.multiclass.type_of_target` when
    "auto" (numbers with a fractional part: regression; else classes).
    """
    X = load_array(weak, "--weak").astype(float)
    X = X.reshape(len(X), -1)
    strongs = []
    for path in strong:
        S = load_array(path, "--strong").astype(float)
        strongs.append(S.reshape(len(S), -1))
    y = _as_column(load_array(target, "--target", numeric=False), "--target", target)
    g = None
    if groups is not None:
        g = _as_column(
            load_array(groups, "--groups", numeric=False), "--groups", groups
        )
    views = {"weak": (weak, X)}
    views.update(
        {f"strong {i + 1}": (p, S) for i, (p, S) in enumerate(zip(strong, strongs))}
    )
    counts = {f"{name} ({path})": len(a) for name, (path, a) in views.items()}
    counts[f"target ({target})"] = len(y)
    if g is not None:
        counts[f"groups ({groups})"] = len(g)
    if len(set(counts.values())) > 1:
        raise UsageError(
            "the files have different numbers of rows: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    for name, (path, a) in views.items():
        bad = ~np.isfinite(a)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise UsageError(
                f"--{name.split()[0]} {path}: {int(bad.sum())} NaN or infinite "
                f"value(s) in the features (first in row {row}); features must be "
                "complete (only the target may be missing)"
            )
    if task == "auto":
        labeled = y[~_missing(y)]
        kind = type_of_target(labeled) if len(labeled) else "unknown"
        task = (
            "regression"
            if kind in ("continuous", "continuous-multioutput")
            else ("classification")
        )
    if task == "regression":
        try:
            y = y.astype(float)
        except ValueError:
            raise UsageError(
                f"--target {target}: --task regression needs numbers"
            ) from None
    labeled = ~_missing(y)
    n_classes = len(np.unique(y[labeled])) if labeled.any() else 0
    if n_classes < 2:
        raise UsageError(
            f"--target {target}: the target has {n_classes} distinct labeled "
            "value(s); a comparison needs at least 2"
        )
    if task == "classification" and not labeled.all():
        raise UsageError(
            f"--target {target}: {int((~labeled).sum())} missing label(s); "
            "unlabeled rows are supported for regression targets only"
        )
    if g is not None and len(np.unique(g)) < 2:
        raise UsageError(f"--groups {groups}: at least 2 groups are needed")
    return dict(
        X=X,
        X_strong=np.hstack(strongs),
        strong_views=strongs,
        y=y,
        groups=g,
        task=task,
    )


def _missing(y):
    if y.dtype.kind == "f":
        return np.isnan(y)
    if y.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and v != v) for v in y])
    return np.zeros(len(y), dtype=bool)


def parse_params(items):
    """``["max_epochs=50", "lr=1e-3"]`` -> ``{"max_epochs": 50, "lr": 0.001}``."""
    params = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--param {item!r}: expected NAME=VALUE")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        params[name] = value
    return params


@dataclass(frozen=True)
class CompareTask:
    """One fit of a comparison: a method (or a view alone), a seed, a fold."""

    method: str  # a key of METHODS, or "view:<name>" (uni-modal on that view)
    seed: int
    fold: int
    n_folds: int
    params: tuple  # sorted (name, value) pairs passed to every SEW estimator
    task: str  # "regression" or "classification"

    @property
    def name(self):
        fold = f", fold {self.fold + 1}/{self.n_folds}" if self.n_folds > 1 else ""
        return f"{self.method}, seed {self.seed}{fold}"


def split(data, seed, fold, n_folds):
    """Train and test row indices: a GroupKFold fold, or a seeded split."""
    n = len(data["y"])
    labeled = np.flatnonzero(~_missing(data["y"]))
    if data["groups"] is not None:
        folds = list(
            GroupKFold(n_splits=n_folds).split(np.zeros(n), groups=data["groups"])
        )
        return folds[fold]
    stratify = data["y"][labeled] if data["task"] == "classification" else None
    train, test = train_test_split(
        labeled, test_size=0.25, random_state=seed, stratify=stratify
    )
    unlabeled = np.flatnonzero(_missing(data["y"]))
    return np.sort(np.concatenate([train, unlabeled])), np.sort(test)


def make_method(method, task, seed, params):
    """The estimator of ``method`` (a pipeline), and whether it takes X_strong."""
    base = SEWRegressor if task == "regression" else SEWClassifier
    change = METHODS[method]

    def sew(**extra):
        return make_pipeline(
            StandardScaler(), base(**{"random_state": seed, **params, **extra})
        )

    if change is None:
        return sew(), False
    if change == "distilled":
        from sewlearn import DistilledClassifier, DistilledRegressor

        distilled = DistilledRegressor if task == "regression" else DistilledClassifier
        return (
            # The package's defaults; the views-alone table already says
            # whether the strong view is any good (the guard's question).
            distilled(sew(), sew(), on_weak_teacher="ignore"),
            True,
        )
    return sew(**change), True


def run_compare_task(task, data):
    """Fit and score one :class:`CompareTask`; returns ``score`` and ``seconds``."""
    train, test = split(data, task.seed, task.fold, task.n_folds)
    params = dict(task.params)
    start = time.perf_counter()
    with warnings.catch_warnings(), torch_threads_for_task():
        warnings.simplefilter("ignore", AlignmentSaturationWarning)
        # The views-alone table answers the guard's question once.
        warnings.simplefilter("ignore", WeakTeacherWarning)
        if task.method.startswith("view:"):
            view = task.method.partition(":")[2]
            X = data["X"] if view == "weak" else data["strong_views"][int(view) - 1]
            model, strong = (
                make_method("uni-modal", task.task, task.seed, params)[0],
                False,
            )
        else:
            X = data["X"]
            model, strong = make_method(task.method, task.task, task.seed, params)
        y = data["y"]
        if strong:
            key = (
                "X_strong"
                if task.method == "distilled"
                else (f"{model.steps[-1][0]}__X_strong")
            )
            model.fit(X[train], y[train], **{key: data["X_strong"][train]})
        else:
            keep = train[~_missing(y[train])]
            model.fit(X[keep], y[keep])
        y_pred = model.predict(X[test])
    if task.task == "regression":
        score = float(ccc_score(y[test], y_pred))
    else:
        score = float(np.mean(y_pred == y[test]))
    return dict(score=score, seconds=time.perf_counter() - start)


def compare(
    *,
    weak,
    strong,
    target,
    groups=None,
    output="sewlearn-compare",
    task="auto",
    methods=DEFAULT_METHODS,
    params=None,
    seeds=3,
    folds=5,
    random_state=0,
    scheduler=None,
    worker_timeout=60,
    progress=True,
    plots=True,
    fresh=False,
    overwrite=False,
):
    """Compare methods on a user's weak and strong views; write the report.

    Every input and argument is checked before the first fit
    (:class:`UsageError`). Each fit is stored as it finishes in
    ``output/.sewlearn``, so a rerun resumes (``fresh=True``: run all again).
    Returns a dict with ``views`` and ``gains`` (lists of row dicts),
    ``files`` and ``reused``.
    """
    if isinstance(strong, str | Path):
        strong = [strong]
    methods = list(dict.fromkeys(methods))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(
            f"--methods: unknown {', '.join(unknown)}; choose from {', '.join(METHODS)}"
        )
    if "uni-modal" not in methods:
        methods.insert(0, "uni-modal")  # the baseline of every gain
    if "distilled" in methods:
        try:
            from sewlearn import DistilledRegressor  # noqa: F401
        except ImportError:
            raise UsageError(
                "--methods distilled: this sewlearn has no DistilledRegressor"
            ) from None
    if task not in ("auto", "regression", "classification"):
        raise UsageError(
            f"--task must be auto, regression or classification, got {task!r}"
        )
    if not isinstance(seeds, int) or seeds < 1:
        raise UsageError(f"--seeds must be an integer >= 1, got {seeds!r}")
    params = dict(params or {})
    if "random_state" in params:
        raise UsageError(
            "--param random_state: each seed is a random_state; use --seeds and "
            "--random-state"
        )
    try:
        SEWRegressor(**params)._validate_params()
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--param: {exc}") from None
    output = Path(output)
    check_output(output, RESULT_FILES, overwrite=overwrite)
    data = load_inputs(weak, strong, target, groups, task)
    if data["groups"] is not None:
        n_groups = len(np.unique(data["groups"]))
        n_folds = min(folds, n_groups)
        if n_folds < 2:
            raise UsageError(f"--folds must be >= 2, got {folds}")
        how = (
            f"GroupKFold over {n_groups} groups, {n_folds} folds (every fold, "
            f"scores averaged per seed), {seeds} seed(s)"
        )
    else:
        n_folds = 1
        how = (
            f"a {'stratified ' if data['task'] == 'classification' else ''}random "
            f"split, 25% of the labeled rows held out, drawn anew for each of "
            f"{seeds} seed(s) (the same for every method)"
        )
    metric = "CCC" if data["task"] == "regression" else "accuracy"
    print(
        f"sewlearn compare: {data['task']} ({metric}), {len(data['y'])} rows, "
        f"weak {data['X'].shape[1]} features, strong {data['X_strong'].shape[1]}; "
        f"held out: {how}.",
        file=sys.stderr,
    )

    seed_list = [random_state + i for i in range(seeds)]
    frozen = tuple(sorted(params.items()))
    views = ["weak"] + [str(i + 1) for i in range(len(strong))]
    tasks = [
        CompareTask(m, s, f, n_folds, frozen, data["task"])
        for m in [f"view:{v}" for v in views]
        + [m for m in methods if m != "uni-modal"]
        + ["uni-modal"]
        for s in seed_list
        for f in range(n_folds)
    ]
    # The weak view alone *is* the uni-modal method: one fit for both.
    tasks = [t for t in tasks if t.method != "view:weak"]
    store = TaskStore(output, fresh=fresh)
    print_ = fingerprint(data)
    done = run_study(
        tasks,
        run_compare_task,
        data,
        store=store,
        keys=[store.key(t, print_) for t in tasks],
        scheduler=scheduler,
        worker_timeout=worker_timeout,
        error=CompareFailedError,
        progress=progress,
    )
    results, reused = done.results, done.reused

    scores = {}
    for t, r in zip(tasks, results):
        scores.setdefault(t.method, {}).setdefault(t.seed, []).append(r["score"])
    per_seed = {m: [float(np.mean(v[s])) for s in seed_list] for m, v in scores.items()}
    per_seed["view:weak"] = per_seed["uni-modal"]

    names = {"weak": f"weak ({Path(weak).name})"}
    names.update(
        {str(i + 1): f"strong {i + 1} ({Path(p).name})" for i, p in enumerate(strong)}
    )
    view_rows = [
        dict(
            view=names[v],
            score_mean=float(np.mean(per_seed[f"view:{v}"])),
            score_std=float(np.std(per_seed[f"view:{v}"])),
            n_seeds=seeds,
        )
        for v in views
    ]
    gain_rows = []
    for m in methods:
        gain_rows.append(
            dict(
                method=m,
                score_mean=float(np.mean(per_seed[m])),
                **gain_columns(
                    per_seed[m],
                    per_seed["uni-modal"],
                    ("gain", "gain_low", "gain_high", "wins"),
                ),
                n_seeds=seeds,
            )
        )
    report = _markdown(view_rows, gain_rows, data, metric, how, seeds, params)
    print(report)
    staged = staging(output)
    files = ["results.md", "views.csv", "gains.csv"]
    (staged / "results.md").write_text(report, encoding="utf-8")
    write_csv(staged / "views.csv", view_rows)
    write_csv(staged / "gains.csv", gain_rows)
    if plots and _plot(staged / "gains.png", gain_rows, metric):
        files.append("gains.png")
    written = publish(output, staged, files)
    print("Files written:")
    for path in written:
        print(f"  {path}")
    return dict(views=view_rows, gains=gain_rows, files=written, reused=reused)


def _markdown(view_rows, gain_rows, data, metric, how, seeds, params):
    best = max(view_rows, key=lambda r: r["score_mean"])
    weak_row = view_rows[0]
    lines = [
        f"sewlearn {__version__} compare: {data['task']}, {metric} on held-out "
        f"rows; {how}; parameters {params or 'default'}",
        "",
        f"## Each view alone (uni-modal network, {metric}, mean ± std over seeds)",
        "",
        f"| view | {metric} |",
        "| --- | ---: |",
    ]
    lines += [
        f"| {r['view']} | {r['score_mean']:.3f} ± {r['score_std']:.3f} |"
        for r in view_rows
    ]
    lines.append("")
    if best is weak_row:
        lines.append(
            "The weak view scores highest on its own: the 'strong' view is not "
            "stronger here, and transfer from it is unlikely to help."
        )
    else:
        lines.append(f"Strongest alone: {best['view']}.")
    lines += [
        "",
        f"## Gain over uni-modal: {metric}, paired over seeds (mean [95% CI], "
        f"seeds won of {seeds})",
        "",
        f"| method | {metric} | gain over uni-modal |",
        "| --- | ---: | ---: |",
    ]
    for r in gain_rows:
        cell = (
            "(baseline)"
            if r["method"] == "uni-modal"
            else format_gain(r["gain"], r["gain_low"], r["gain_high"], r["wins"], seeds)
        )
        lines.append(f"| {r['method']} | {r['score_mean']:.3f} | {cell} |")
    lines += ["", interval_note(seeds)]
    return "\n".join(lines) + "\n"


def _plot(path, rows, metric):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in rows if r["method"] != "uni-modal"]
    fig, ax = plt.subplots(figsize=(6, 0.6 * len(rows) + 1.5))
    y = np.arange(len(rows))
    gain = np.array([r["gain"] for r in rows])
    low = np.nan_to_num(gain - np.array([r["gain_low"] for r in rows]))
    high = np.nan_to_num(np.array([r["gain_high"] for r in rows]) - gain)
    ax.errorbar(gain, y, xerr=[low, high], fmt="o", capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, [r["method"] for r in rows])
    ax.set_xlabel(f"{metric} gain over uni-modal (paired, 95% CI)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def add_parser(sub):
    """The ``compare`` subcommand of the ``sewlearn`` command line."""
    cmp = sub.add_parser(
        "compare",
        help="compare uni-modal, SEW and its variants on your own weak and strong "
        "features, paired over seeds",
        description="Each view alone, then each method's paired gain over the "
        "uni-modal network on the weak view (95% CI, seeds won).",
    )
    cmp.add_argument(
        "--weak",
        required=True,
        metavar="FILE",
        help="weak-view features (.npy, .npz, .csv, .parquet)",
    )
    cmp.add_argument(
        "--strong",
        required=True,
        nargs="+",
        metavar="FILE",
        help="strong-view features, one or several files (side by side)",
    )
    cmp.add_argument(
        "--target",
        required=True,
        metavar="FILE",
        help="the target, one column (NaN: unlabeled row, regression)",
    )
    cmp.add_argument(
        "--groups",
        metavar="FILE",
        default=None,
        help="recording/subject of each row: GroupKFold instead of a random split",
    )
    cmp.add_argument(
        "--task",
        choices=("auto", "regression", "classification"),
        default="auto",
        help="default: inferred from the target",
    )
    cmp.add_argument(
        "--methods",
        nargs="+",
        default=list(DEFAULT_METHODS),
        metavar="NAME",
        help=f"among {', '.join(METHODS)} (default: uni-modal sew)",
    )
    cmp.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an estimator parameter for every fit, e.g. max_epochs=50 (repeatable)",
    )
    cmp.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="seeds per method (default 3); each seed draws its split and "
        "initialises every method alike",
    )
    cmp.add_argument(
        "--folds",
        type=int,
        default=5,
        help="GroupKFold folds with --groups (default 5)",
    )
    cmp.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="the first seed (default 0); seeds are consecutive",
    )
    cmp.add_argument(
        "--output",
        type=Path,
        default=Path("sewlearn-compare"),
        help="folder for results.md, views.csv, gains.csv, gains.png and the "
        "stored fits (default sewlearn-compare)",
    )
    cmp.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the fits on a Dask cluster (address or local:N)",
    )
    cmp.add_argument("--worker-timeout", type=float, default=60, metavar="SECONDS")
    cmp.add_argument("--no-progress", action="store_true")
    cmp.add_argument("--no-plots", action="store_true")
    cmp.set_defaults(handler=_command)
    return cmp


def _command(args):
    compare(
        weak=args.weak,
        strong=args.strong,
        target=args.target,
        groups=args.groups,
        output=args.output,
        task=args.task,
        methods=args.methods,
        params=parse_params(args.param),
        seeds=args.seeds,
        folds=args.folds,
        random_state=args.random_state,
        scheduler=args.scheduler,
        worker_timeout=args.worker_timeout,
        progress=not args.no_progress,
        plots=not args.no_plots,
        fresh=args.fresh,
        overwrite=args.overwrite,
    )
