# License: BSD 3 clause
"""``sewlearn reproduce``: the paper's experiments end to end (Tables 1 and 2).

Every comparison with the uni-modal network is a *paired* difference over
seeds (same split, same seed, with and without the strong modality) with a
95% t interval and the count of seeds won (:func:`sewlearn.paired_gain`). The
optional label-budget study (``--label-budget``) adds SEW with unlabeled
paired rows; the optional time study (``--time``) frame-wise against
sequence models (``sequence_length``) and post-processing
(:class:`~sewlearn.postprocessing.PostProcessedRegressor`).

Every fit is one :class:`Task` (:func:`plan`), executed by :func:`run_task`
one after the other or, with ``--scheduler``, as Dask tasks on a cluster; the
tables are assembled from the results in the plan's order, so both ways
write the same tables.

Only the public API is used (``SEWRegressor``, ``PostProcessedRegressor``,
``ccc_score``, ``binary_accuracy_score`` and ``sewlearn.datasets``), so this
module is also the worked example of how to use the package.
"""

import argparse
import dataclasses
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import (
    PAPER_TRAINING,
    SEWRegressor,
    __version__,
    binary_accuracy_score,
    ccc_score,
    paired_gain,
)
from sewlearn._parallel import torch_threads_for_task
from sewlearn.datasets import load_avec2016, make_recola_like
from sewlearn.exceptions import AlignmentSaturationWarning
from sewlearn.experiments import (
    STATE_FOLDER,
    TaskFailedError,
    TaskStore,
    UsageError,
    check_output,
    connect,
    execute,
    fingerprint,
    publish,
    staging,
)
from sewlearn.experiments._compare import add_parser as add_compare_parser
from sewlearn.experiments._report import format_gain, interval_note, write_csv
from sewlearn.postprocessing import PostProcessedRegressor

MODALITIES = ("audio", "video_geometric", "video_appearance")
TARGETS = ("arousal", "valence")
SHORT = {
    "audio": "audio",
    "video_geometric": "video-geo",
    "video_appearance": "video-app",
}

# The five weaker(+stronger) cases of the paper's section 4.2 / Table 2.
CASES = (
    ("arousal", "video_geometric", "audio"),
    ("arousal", "video_appearance", "audio"),
    ("valence", "audio", "video_geometric"),
    ("valence", "video_appearance", "audio"),
    ("valence", "video_appearance", "video_geometric"),
)

# Table 2's rows: the ablations are loss weights (eq. 9); None: no X_strong.
VARIANTS = {
    "SEW": {},
    "-SD2": {"beta": 0.0},
    "-CCA": {"gamma": 0.0},
    "-SD1": {"alpha": 0.0},
    "-(CCA & SD1)": {"alpha": 0.0, "gamma": 0.0},
    "uni-modal": None,
}

# The paper's Table 2 CCC, per variant, in the order of CASES.
PAPER_TABLE2_CCC = {
    "SEW": (0.565, 0.544, 0.552, 0.554, 0.549),
    "-SD2": (0.532, 0.519, 0.486, 0.539, 0.540),
    "-CCA": (0.512, 0.508, 0.496, 0.532, 0.546),
    "-SD1": (0.514, 0.523, 0.556, 0.514, 0.505),
    "-(CCA & SD1)": (0.484, 0.497, 0.545, 0.497, 0.491),
    "uni-modal": (0.482, 0.492, 0.543, 0.489, 0.489),
}

# The label-budget study: two of the paper's cases (one per target), three
# methods. "SEW + unlabeled" also gets the training recordings without
# labels as unlabeled paired rows (NaN targets).
BUDGET_CASES = (CASES[0], CASES[2])
BUDGET_METHODS = ("uni-modal", "SEW", "SEW + unlabeled")

# The time study (``--time``, the paper's future work): the same two cases,
# the uni-modal network and SEW, each as Table 2's frame-wise model (its MLP
# head; no extra fit), as a frame-wise model with the recurrent head
# (head="gru"), as a sequence model with that head over windows of
# ``window_seconds``, and as that sequence model with the AVEC 2016
# baseline's post-processing. The window is the only difference between the
# second and the third; the sequence model trains for as many optimiser
# steps as the frame-wise one (:func:`_equal_step_epochs`).
TIME_CASES = BUDGET_CASES
TIME_METHODS = ("uni-modal", "SEW")
TIME_MODELS = (
    "frame-wise, MLP head (Table 2)",
    "frame-wise, GRU head",
    "sequence, GRU head",
    "sequence + post-processing",
)
# The post-processing's candidate delays (0 to 4 s) and smoothing windows (up
# to 8 s), in seconds: PostProcessedRegressor's defaults at 25 frames/s.
POST_DELAYS_S = tuple(0.2 * i for i in range(21))
POST_WINDOWS_S = (0.04, 0.2, 0.44, 1.0, 2.04, 4.04, 6.04, 8.04)

# Said once in the report instead of warned at every fit.
# What a reader of results.md would otherwise misread.
STRONGER_NOTE = (
    '"stronger" is the modality with the highest CCC in this run, per target, '
    "and it is the one Table 2 should be read against. The built-in generator "
    "makes audio the strongest for arousal and video-geometric for valence (user "
    "guide), but a small run or another draw (--random-state) can order them "
    "otherwise, as real data can: trust this column over the paper's."
)
IDENTICAL_NOTE = (
    "-(CCA & SD1) equals uni-modal in every cell by construction: only the "
    "translation (alpha) and alignment (gamma) terms reach the weak encoder W_E, "
    "so with both at 0 the strong auto-encoder cannot change the deployed "
    "network and the fit is the uni-modal one, bit for bit."
)


SATURATION_NOTE = (
    "The paper's setting (alignment='cca', batches of 32 frames, latent "
    "widths 128 and 168) saturates the CCA term: a batch of m <= width + 1 "
    "rows has canonical correlations near 1 whatever the weights "
    "(AlignmentSaturationWarning, silenced in this run; see the user guide)."
)

# Encoder hidden layers per modality (section 4.3): video-geometric
# [512, 256, latent], audio [108, latent], video-appearance one linear layer.
HIDDEN = {"audio": (108,), "video_geometric": (512, 256), "video_appearance": ()}

# Run sizes. "quick" fits the whole run in about 6 minutes on 2 CPU cores:
# fewer and shorter recordings, every 2nd frame, Adam and fewer epochs. The
# time study's sequence models read windows of ``window_seconds``, batches
# of ``windows_per_batch`` windows.
PRESETS = {
    "quick": dict(
        n_recordings=4,
        n_frames=1500,
        frame_step=2,
        seeds=2,
        max_epochs=6,
        optimizer="adam",
        lr=1e-3,
        batch_size=32,
        budgets=(1, 2),
        alignment="cca",
        window_seconds=2.0,
        windows_per_batch=4,
    ),
    "full": dict(
        n_recordings=9,
        n_frames=7501,
        frame_step=1,
        seeds=5,
        max_epochs=30,
        optimizer="sgd",
        lr=1e-3,
        batch_size=32,
        budgets=(1, 2, 4),
        alignment="cca",
        window_seconds=2.0,
        windows_per_batch=4,
    ),
}


def latent_dim(*modalities):
    """168 when video-appearance takes part (section 4.3), else 128."""
    return 168 if "video_appearance" in modalities else 128


def make_sew(weak, strong, variant, *, seed, settings, device, **params):
    """A SEWRegressor with the paper's architecture; ``params`` override."""
    # The paper's training recipe (momentum, weight decay) and its targets as
    # given, whatever the estimator's defaults; the presets choose the
    # optimiser, learning rate and batch size.
    recipe = {**PAPER_TRAINING, "standardize_target": False}
    network = dict(
        weak_hidden_layer_sizes=HIDDEN[weak],
        strong_hidden_layer_sizes=HIDDEN[strong] if strong else (108,),
        latent_dim=latent_dim(weak, strong) if strong else latent_dim(weak),
        alignment=settings.get("alignment", "cca"),
        optimizer=settings["optimizer"],
        lr=settings["lr"],
        batch_size=settings["batch_size"],
        max_epochs=settings["max_epochs"],
        device=device,
        random_state=seed,
    )
    return SEWRegressor(**{**recipe, **network, **(VARIANTS[variant] or {}), **params})


def make_model(weak, strong, variant, *, seed, settings, device):
    """A StandardScaler + SEWRegressor pipeline with the paper's architecture."""
    sew = make_sew(weak, strong, variant, seed=seed, settings=settings, device=device)
    return make_pipeline(StandardScaler(), sew)


def evaluate(model, data, weak, target, strong=None, train=None, y_train=None):
    """Fit on the train partition (with X_strong if given), score on dev.

    ``train`` (a boolean row mask) and ``y_train`` (targets of those rows,
    NaN where unlabeled) replace the whole train partition and its targets.
    """
    if train is None:
        train = data.partition == "train"
    if y_train is None:
        y_train = data.targets[target][train]
    dev = data.partition == "dev"
    fit_params = {}
    if strong is not None:
        fit_params["sewregressor__X_strong"] = data.features[strong][train]
    model.fit(data.features[weak][train], y_train, **fit_params)
    y_true = data.targets[target][dev]
    y_pred = model.predict(data.features[weak][dev])
    return ccc_score(y_true, y_pred), binary_accuracy_score(y_true, y_pred), y_pred


def _subsample(data, step):
    """Every ``step``-th frame: neighbouring 40 ms frames are nearly identical."""
    if step == 1:
        return data
    keep = np.zeros(len(data.partition), dtype=bool)
    keep[::step] = True
    out = type(data)(**data)
    out.features = type(data.features)(**{k: v[keep] for k, v in data.features.items()})
    out.targets = type(data.targets)(**{k: v[keep] for k, v in data.targets.items()})
    for key in ("groups", "partition", "time"):
        out[key] = data[key][keep]
    return out


def built_in_data(settings, random_state=0):
    """The built-in data of a preset: train and dev, every ``frame_step``-th frame."""
    data = make_recola_like(
        n_recordings=settings["n_recordings"],
        n_frames=settings["n_frames"],
        partitions=("train", "dev"),
        random_state=random_state,
    )
    return _subsample(data, settings["frame_step"])


def _progress(total, enabled):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with skorch
        return None
    return tqdm(total=total, desc="runs", disable=not enabled, file=sys.stderr)


@dataclass(frozen=True)
class Task:
    """One fit of the protocol, scored on dev: the unit of work of a run.

    The serial loop and the Dask path execute the same list of tasks with
    :func:`run_task`, so both give the same scores.

    ``variant`` (a key of :data:`VARIANTS`) sets the loss weights and whether
    ``X_strong`` is passed; ``strong`` is the case's strong modality, which
    also sizes the network (None in Table 1). ``labeled`` (label budget only)
    lists the training recordings that keep their labels; with ``semi`` the
    other training recordings come as unlabeled paired rows. ``model`` (time
    study only) is ``TIME_MODELS[1]`` (frame-wise) or ``TIME_MODELS[2]``
    (sequence); a sequence task also scores the sequence model
    post-processed.
    """

    study: str  # "Table 1", "Table 2" or "label budget"
    target: str
    weak: str
    strong: str | None
    variant: str
    seed: int
    settings: dict = field(compare=False)
    device: str = "cpu"
    labeled: tuple | None = None
    semi: bool = False
    method: str | None = None  # label budget: one of BUDGET_METHODS
    keep_prediction: bool = False  # for the traces figure
    model: str | None = None  # time study: TIME_MODELS[1] or TIME_MODELS[2]

    @property
    def name(self):
        """The run as a reader finds it in the tables: case, variant, seed."""
        if self.strong is None:
            case = f"{self.target}: {SHORT[self.weak]}"
        else:
            case = f"{self.target}: {SHORT[self.weak]}(+{SHORT[self.strong]})"
        if self.model is not None:
            return (
                f"{self.study}, {case}, {self.variant}, {self.model}, seed {self.seed}"
            )
        if self.labeled is None:
            return f"{self.study}, {case}, {self.variant}, seed {self.seed}"
        return (
            f"{self.study}, {case}, {len(self.labeled)} labeled recording(s), "
            f"{self.method}, seed {self.seed}"
        )


def run_task(task, data):
    """Fit and score one :class:`Task` on ``data`` (a dict: target -> data set).

    Returns a dict with ``ccc``, ``acc``, ``y_pred`` (None unless the task
    keeps its predictions) and ``seconds`` (the fit and prediction); a
    sequence task of the time study also the post-processed scores
    (:func:`_run_time_task`). Inside a Dask worker torch uses one thread
    (:func:`torch_threads_for_task`).
    """
    run = _run_task if task.model is None else _run_time_task
    with warnings.catch_warnings(), torch_threads_for_task():
        # Every fit of the paper's setting would repeat it: the report says
        # it once (SATURATION_NOTE).
        warnings.simplefilter("ignore", AlignmentSaturationWarning)
        return run(task, data[task.target])


def _run_task(task, case_data):
    train = y_train = None
    if task.labeled is not None:
        in_train = case_data.partition == "train"
        labeled = in_train & np.isin(case_data.groups, task.labeled)
        if task.semi:
            train = in_train
            y_train = np.where(labeled, case_data.targets[task.target], np.nan)
            y_train = y_train[in_train]
        else:
            train = labeled
    model = make_model(
        task.weak,
        task.strong,
        task.variant,
        seed=task.seed,
        settings=task.settings,
        device=task.device,
    )
    fit_strong = None if VARIANTS[task.variant] is None else task.strong
    start = time.perf_counter()
    ccc, acc, y_pred = evaluate(
        model,
        case_data,
        task.weak,
        task.target,
        fit_strong,
        train=train,
        y_train=y_train,
    )
    seconds = time.perf_counter() - start
    return dict(
        ccc=ccc,
        acc=acc,
        y_pred=y_pred if task.keep_prediction else None,
        seconds=seconds,
    )


def _run_time_task(task, data):
    """Fit and score one task of the time study (see :data:`TIME_MODELS`).

    The weak features are standardised on the train partition; the model is
    the case's SEWRegressor with ``head="gru"``. A "sequence" task fits
    :class:`~sewlearn.postprocessing.PostProcessedRegressor` around the
    sequence model: its ``estimator_`` is the sequence model fitted on the
    whole train partition with the task's seed, the very model a fit of its
    own would give, so one task scores both the raw sequence model (``ccc``,
    ``acc``) and the post-processed one (``ccc_post``, ``acc_post``, with
    the chosen ``delay_s`` and ``window_s`` in seconds).
    """
    settings = task.settings
    train, dev = data.partition == "train", data.partition == "dev"
    scaler = StandardScaler().fit(data.features[task.weak][train])
    X_train = scaler.transform(data.features[task.weak][train])
    X_dev = scaler.transform(data.features[task.weak][dev])
    y_train, y_dev = data.targets[task.target][train], data.targets[task.target][dev]
    groups_train, groups_dev = data.groups[train], data.groups[dev]
    fit_params = {}
    if VARIANTS[task.variant] is not None:
        fit_params["X_strong"] = data.features[task.strong][train]
    sequence = task.model == TIME_MODELS[2]
    sew = make_sew(
        task.weak,
        task.strong,
        task.variant,
        seed=task.seed,
        settings=settings,
        device=task.device,
        head="gru",
        sequence_length=settings["sequence_length"] if sequence else None,
    )
    start = time.perf_counter()
    out = {}
    if sequence:
        period = settings["frame_period"]
        post = PostProcessedRegressor(
            sew,
            delays=sorted({int(round(d / period)) for d in POST_DELAYS_S}),
            windows=sorted(
                {max(1, int(round(w / period))) | 1 for w in POST_WINDOWS_S}
            ),
        )
        post.fit(X_train, y_train, groups=groups_train, **fit_params)
        y_pred = post.estimator_.predict(X_dev, groups=groups_dev)
        y_post = post.predict(X_dev, groups=groups_dev)
        out.update(
            ccc_post=ccc_score(y_dev, y_post),
            acc_post=binary_accuracy_score(y_dev, y_post),
            y_post=y_post if task.keep_prediction else None,
            delay_s=round(post.delay_ * period, 3),
            window_s=round(post.window_ * period, 3),
        )
    else:
        sew.fit(X_train, y_train, **fit_params)
        y_pred = sew.predict(X_dev)
    out.update(
        ccc=ccc_score(y_dev, y_pred),
        acc=binary_accuracy_score(y_dev, y_pred),
        y_pred=y_pred if task.keep_prediction else None,
        seconds=time.perf_counter() - start,
    )
    return out


def plan(
    data,
    settings,
    seed_list,
    *,
    random_state=0,
    device="cpu",
    budgets=(),
    time_models=False,
):
    """Every fit of Table 1, Table 2, the label budget study (with ``budgets``)
    and the time study (with ``time_models``).

    Returns a list of :class:`Task`; the tables are assembled from their
    results in this order (:func:`_assemble`).
    """
    tasks = []
    # Table 1: uni-modal CCC and accuracy of every modality for both targets.
    for target in TARGETS:
        for modality in MODALITIES:
            tasks.append(
                Task(
                    "Table 1",
                    target,
                    modality,
                    None,
                    "uni-modal",
                    random_state,
                    settings,
                    device,
                )
            )
    # Table 2: SEW and its ablations for the paper's five cases, over seeds.
    for case in CASES:
        for variant in VARIANTS:
            for seed in seed_list:
                tasks.append(
                    Task(
                        "Table 2",
                        *case,
                        variant,
                        seed,
                        settings,
                        device,
                        keep_prediction=case == CASES[0] and seed == seed_list[0],
                    )
                )
    if budgets:
        tasks += _plan_label_budget(data, budgets, seed_list, settings, device)
    if time_models:
        tasks += _plan_time(data, seed_list, settings, device)
    return tasks


def _frame_period(data):
    """Seconds between consecutive frames of a recording (the median step)."""
    steps = np.diff(data.time)
    return float(np.median(steps[steps > 0]))


def _equal_step_epochs(groups, length, settings):
    """Epochs of the sequence model that give the frame-wise model's steps.

    The frame-wise model takes ``ceil(n_frames / batch_size)`` optimiser
    steps an epoch; the sequence model ``ceil(n_windows /
    windows_per_batch)``, with ``ceil(n / length)`` training windows per
    recording of ``n`` frames (they tile it). The ratio scales the epochs.
    """
    _, sizes = np.unique(groups, return_counts=True)
    n_windows = int(np.sum(-(-sizes // length)))
    frame_steps = -(-len(groups) // settings["batch_size"])
    window_steps = -(-n_windows // settings["windows_per_batch"])
    return max(1, int(round(settings["max_epochs"] * frame_steps / window_steps)))


def _plan_time(data, seed_list, settings, device):
    """The fits of the time study: frame-wise, then sequence (+ post-processing).

    For each case, method (uni-modal, SEW) and seed: one frame-wise fit and
    one sequence fit, which also gives the post-processed sequence model
    (:func:`_run_time_task`). The sequence model reads windows of
    ``window_seconds``, ``windows_per_batch`` of them a batch, for as many
    optimiser steps as the frame-wise model (:func:`_equal_step_epochs`).
    """
    tasks = []
    for target, weak, strong in TIME_CASES:
        case_data = data[target]
        period = _frame_period(case_data)
        length = max(1, int(round(settings["window_seconds"] / period)))
        train_groups = case_data.groups[case_data.partition == "train"]
        runs = {
            TIME_MODELS[1]: dict(settings, sequence_length=None, frame_period=period),
            TIME_MODELS[2]: dict(
                settings,
                sequence_length=length,
                batch_size=settings["windows_per_batch"],
                max_epochs=_equal_step_epochs(train_groups, length, settings),
                frame_period=period,
            ),
        }
        for model, run_settings in runs.items():
            for variant in TIME_METHODS:
                for seed in seed_list:
                    tasks.append(
                        Task(
                            "time",
                            target,
                            weak,
                            strong,
                            variant,
                            seed,
                            run_settings,
                            device,
                            keep_prediction=(
                                (target, weak, strong) == TIME_CASES[0]
                                and seed == seed_list[0]
                            ),
                            model=model,
                        )
                    )
    return tasks


def _plan_label_budget(data, budgets, seed_list, settings, device):
    """The fits of the label-budget study: CCC on dev against labeled recordings.

    For each seed, ``b`` training recordings drawn at random (the same for
    the three methods: a paired comparison) keep their labels. "uni-modal"
    and "SEW" train on those recordings only; "SEW + unlabeled" also gets the
    other training recordings as unlabeled paired rows (NaN targets). An
    epoch is a pass over every row a model gets, so "SEW + unlabeled" takes
    more steps per epoch; to compare at equal optimisation, the two other
    methods train for proportionally more epochs (the same number of steps).
    """
    tasks = []
    for target, weak, strong in BUDGET_CASES:
        case_data = data[target]
        in_train = case_data.partition == "train"
        recordings = np.unique(case_data.groups[in_train])
        for budget in budgets:
            for seed in seed_list:
                chosen = np.random.default_rng(seed).choice(
                    recordings, size=budget, replace=False
                )
                labeled = in_train & np.isin(case_data.groups, chosen)
                ratio = in_train.sum() / labeled.sum()
                for method in BUDGET_METHODS:
                    if method == "SEW + unlabeled" and budget == len(recordings):
                        continue  # nothing unlabeled: it is "SEW"
                    semi = method == "SEW + unlabeled"
                    run_settings = dict(settings)
                    if not semi:
                        run_settings["max_epochs"] = max(
                            1, int(round(settings["max_epochs"] * ratio))
                        )
                    tasks.append(
                        Task(
                            "label budget",
                            target,
                            weak,
                            strong,
                            "uni-modal" if method == "uni-modal" else "SEW",
                            seed,
                            run_settings,
                            device,
                            labeled=tuple(chosen.tolist()),
                            semi=semi,
                            method=method,
                        )
                    )
    return tasks


class RunFailedError(TaskFailedError):
    """A fit of ``sewlearn reproduce`` failed; the message names the run."""

    def __init__(self, task, exc):
        super().__init__(task, exc, command="sewlearn reproduce")


def _assemble(tasks, results, seed_list):
    """Table 1, Table 2, the label-budget rows and the traces from task results."""
    done = list(zip(tasks, results))
    table1 = [
        dict(target=t.target, modality=t.weak, ccc=r["ccc"], acc=r["acc"])
        for t, r in done
        if t.study == "Table 1"
    ]
    stronger = {
        t: max((r for r in table1 if r["target"] == t), key=lambda r: r["ccc"])[
            "modality"
        ]
        for t in TARGETS
    }

    table2, traces = [], {}
    for case_index, (target, weak, strong) in enumerate(CASES):
        per_seed = {}
        for variant in VARIANTS:
            cell = [
                (t, r)
                for t, r in done
                if t.study == "Table 2"
                and (t.target, t.weak, t.strong) == (target, weak, strong)
                and t.variant == variant
            ]
            cccs = [r["ccc"] for _, r in cell]
            accs = [r["acc"] for _, r in cell]
            for t, r in cell:
                if t.keep_prediction:
                    traces[variant] = r["y_pred"]
            per_seed[variant] = cccs
            table2.append(
                dict(
                    case=f"{target}: {SHORT[weak]}(+{SHORT[strong]})",
                    target=target,
                    weak=weak,
                    strong=strong,
                    variant=variant,
                    ccc_mean=float(np.mean(cccs)),
                    ccc_std=float(np.std(cccs)),
                    acc_mean=float(np.mean(accs)),
                    acc_std=float(np.std(accs)),
                    n_seeds=len(cccs),
                    paper_ccc=PAPER_TABLE2_CCC[variant][case_index],
                )
            )
        # Paired over seeds: each variant against uni-modal, seed by seed.
        for row in table2[-len(VARIANTS) :]:
            gain = paired_gain(per_seed[row["variant"]], per_seed["uni-modal"])
            row.update(
                ccc_gain=gain.mean,
                ccc_gain_low=gain.low,
                ccc_gain_high=gain.high,
                ccc_wins=gain.wins,
                paper_gain=round(
                    row["paper_ccc"] - PAPER_TABLE2_CCC["uni-modal"][case_index], 3
                ),
            )

    budget_rows = []
    budget_done = [(t, r) for t, r in done if t.study == "label budget"]
    for target, weak, strong in BUDGET_CASES:
        case_done = [
            (t, r)
            for t, r in budget_done
            if (t.target, t.weak, t.strong) == (target, weak, strong)
        ]
        budgets = list(dict.fromkeys(len(t.labeled) for t, _ in case_done))
        for budget in budgets:
            scores = {m: [] for m in BUDGET_METHODS}
            for t, r in case_done:
                if len(t.labeled) == budget:
                    scores[t.method].append(r["ccc"])
            if not scores["SEW + unlabeled"]:  # all labeled: it is "SEW"
                scores["SEW + unlabeled"] = scores["SEW"]
            for method in BUDGET_METHODS:
                gain = paired_gain(scores[method], scores["uni-modal"])
                budget_rows.append(
                    dict(
                        case=f"{target}: {SHORT[weak]}(+{SHORT[strong]})",
                        labeled_recordings=budget,
                        method=method,
                        ccc_mean=float(np.mean(scores[method])),
                        ccc_gain=gain.mean,
                        ccc_gain_low=gain.low,
                        ccc_gain_high=gain.high,
                        ccc_wins=gain.wins,
                        n_seeds=gain.n,
                    )
                )
    time_rows = _assemble_time(done, traces)
    return table1, stronger, table2, traces, budget_rows, time_rows


def _assemble_time(done, traces):
    """The time study's rows; its kept predictions go into ``traces``.

    Per case, method and model (:data:`TIME_MODELS`, the first from Table 2's
    fits of the same seeds): the mean CCC, the paired gain of each step over
    the model before it (``step_*``: GRU head over MLP head, sequence over
    frame-wise, post-processing over the raw sequence model) and over Table
    2's model (``total_*``), and SEW's paired gain over the uni-modal network
    of the same model (``sew_*``); for the post-processed model,
    the mean delay and smoothing window chosen.
    """
    rows = []
    for target, weak, strong in TIME_CASES:
        scores, chosen = {}, {}
        for t, r in done:
            if (t.target, t.weak) != (target, weak) or t.variant not in TIME_METHODS:
                continue
            if t.study == "Table 2":
                scores.setdefault((t.variant, TIME_MODELS[0]), []).append(r["ccc"])
            if t.study != "time":
                continue
            scores.setdefault((t.variant, t.model), []).append(r["ccc"])
            if t.keep_prediction:
                traces["time", t.variant, t.model] = r["y_pred"]
            if t.model == TIME_MODELS[2]:
                post = (t.variant, TIME_MODELS[3])
                scores.setdefault(post, []).append(r["ccc_post"])
                chosen.setdefault(t.variant, []).append((r["delay_s"], r["window_s"]))
                if t.keep_prediction:
                    traces[("time", *post)] = r["y_post"]
        if ("SEW", TIME_MODELS[2]) not in scores:  # no time study in this run
            continue
        for variant in TIME_METHODS:
            for i, model in enumerate(TIME_MODELS):
                ccc = scores[variant, model]
                row = dict(
                    case=f"{target}: {SHORT[weak]}(+{SHORT[strong]})",
                    method=variant,
                    model=model,
                    ccc_mean=float(np.mean(ccc)),
                    n_seeds=len(ccc),
                )
                before = scores[variant, TIME_MODELS[i - 1]] if i else None
                for prefix, other in (
                    ("step", before),
                    ("total", scores[variant, TIME_MODELS[0]] if i else None),
                    ("sew", scores["uni-modal", model]),
                ):
                    gain = (None,) * 4
                    if other is not None:
                        g = paired_gain(ccc, other)
                        gain = (g.mean, g.low, g.high, g.wins)
                    row.update(
                        zip(
                            [f"{prefix}_{k}" for k in ("gain", "low", "high", "wins")],
                            gain,
                        )
                    )
                delay, window = (
                    np.mean(chosen[variant], axis=0).tolist()
                    if model == TIME_MODELS[3]
                    else (None, None)
                )
                row.update(delay_s_mean=delay, window_s_mean=window)
                rows.append(row)
    return rows


# Every result file a run may write (the output folder's rule:
# sewlearn.experiments._output).
RESULT_FILES = (
    "results.md",
    "table1_unimodal.csv",
    "table2_ablation.csv",
    "label_budget.csv",
    "time_models.csv",
    "table2_ccc.png",
    "traces.png",
    "label_budget.png",
)


def _check_settings(settings, device, worker_timeout):
    """:class:`UsageError` for a setting no run can use, before any work."""
    for key, option, low in (
        ("seeds", "--seeds", 1),
        ("max_epochs", "--max-epochs", 1),
        ("n_recordings", "--n-recordings", 1),
        ("n_frames", "--n-frames", 1),
    ):
        value = settings[key]
        if not isinstance(value, int | np.integer) or value < low:
            raise UsageError(f"{option} must be an integer >= {low}, got {value!r}")
    if not worker_timeout > 0:
        raise UsageError(f"--worker-timeout must be > 0, got {worker_timeout!r}")
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError) as exc:
        raise UsageError(f"--device {device!r} is not a torch device: {exc}") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {device!r}: CUDA is not available here")


def _check_time_plan(tasks, data):
    """The time study needs training recordings at least one window long."""
    for task in tasks:
        length = task.settings.get("sequence_length")
        if task.study != "time" or not length:
            continue
        case_data = data[task.target]
        _, sizes = np.unique(case_data.groups, return_counts=True)
        if sizes.min() < length:
            raise UsageError(
                f"--time needs recordings of at least one window "
                f"({task.settings['window_seconds']:g} s = {length} frames at "
                f"frame step {task.settings['frame_step']}); the shortest has "
                f"{sizes.min()}: raise --n-frames"
            )


def _load_data(settings, avec_root, random_state):
    """The data of a run (a dict: target -> data set) and its description."""
    if avec_root is not None:
        if not Path(avec_root).is_dir():
            raise UsageError(f"--avec-root {avec_root} is not a folder")
        try:
            # AVEC 2016 ships separate features for arousal and for valence.
            data = {
                t: _subsample(
                    load_avec2016(avec_root, target=t, partitions=("train", "dev")),
                    settings["frame_step"],
                )
                for t in TARGETS
            }
        except (OSError, ValueError) as exc:
            raise UsageError(f"--avec-root {avec_root}: {exc}") from None
        return data, f"AVEC 2016 features from {avec_root}"
    data = dict.fromkeys(TARGETS, built_in_data(settings, random_state))
    source = (
        f"make_recola_like(n_recordings={settings['n_recordings']}, "
        f"n_frames={settings['n_frames']}, random_state={random_state})"
    )
    return data, source


def _fit_spec(task):
    """The task without the settings that do not change its fit."""
    settings = {k: v for k, v in task.settings.items() if k not in ("seeds", "budgets")}
    return dataclasses.replace(task, settings=settings)


def run(
    *,
    output="sewlearn-output",
    preset="quick",
    avec_root=None,
    seeds=None,
    max_epochs=None,
    n_recordings=None,
    n_frames=None,
    device="cpu",
    random_state=0,
    progress=True,
    plots=True,
    label_budget=False,
    time_models=False,
    alignment=None,
    scheduler=None,
    retries=1,
    overwrite=False,
    fresh=False,
    worker_timeout=60,
):
    """Run Tables 1 and 2; write Markdown, CSV and PNG files into ``output``.

    With ``label_budget=True`` also the label-budget study (see
    :func:`_plan_label_budget`); with ``time_models=True`` also the time
    study, frame-wise against sequence models and post-processing (see
    :func:`_plan_time`). ``alignment`` ("cca", the paper's and the presets'
    default, or "ey") is the alignment loss of every SEW fit. Every fit is
    one :class:`Task`; they run one after the other, or with ``scheduler``
    as tasks on a Dask cluster: a scheduler address (``"tcp://host:8786"``),
    ``"local:N"`` (a ``LocalCluster`` of ``N`` single-threaded worker
    processes, started and closed here; in a script, call under ``if
    __name__ == "__main__":``) or a ``distributed.Client``; a cluster with no
    worker after ``worker_timeout`` seconds stops the run. Both give the
    same tables (byte for byte when torch is threaded alike, e.g. one thread
    each). A task that raises is retried ``retries`` times on Dask; a run
    that still fails stops the whole run with :class:`RunFailedError`
    naming it.

    Every argument, the output folder and the scheduler are checked before
    the first fit (:class:`~sewlearn.experiments.UsageError`); the folder is
    created only then. Each finished fit is stored in ``output/.sewlearn``
    (:class:`~sewlearn.experiments.TaskStore`), so a rerun of an interrupted
    run resumes, with the same tables; ``fresh=True`` runs every fit again.
    The result files are written at the end, replacing those of an earlier
    run into the same folder (``overwrite=True`` also replaces result files
    that sewlearn did not write: see :mod:`sewlearn.experiments`).

    Returns a dict with the tables as lists of row dicts, the paths of the
    files written, ``fit_seconds`` (each run's name and its fit time) and
    ``reused`` (the number of fits taken from the store).
    """
    if preset not in PRESETS:
        raise UsageError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    settings = dict(PRESETS[preset])
    for key, value in dict(
        seeds=seeds,
        max_epochs=max_epochs,
        n_recordings=n_recordings,
        n_frames=n_frames,
        alignment=alignment,
    ).items():
        if value is not None:
            settings[key] = value
    _check_settings(settings, device, worker_timeout)
    output = Path(output)
    check_output(output, RESULT_FILES, overwrite=overwrite)
    try:
        data, source = _load_data(settings, avec_root, random_state)
    except ValueError as exc:  # the generator's own checks
        raise UsageError(str(exc)) from None
    seed_list = [random_state + i for i in range(settings["seeds"])]
    budgets = _budgets(data[TARGETS[0]], settings["budgets"]) if label_budget else []
    tasks = plan(
        data,
        settings,
        seed_list,
        random_state=random_state,
        device=device,
        budgets=budgets,
        time_models=time_models,
    )
    _check_time_plan(tasks, data)

    # What determines each fit: the task (with its settings but for those
    # that only size the run), its data and the sewlearn version. A run with
    # more seeds reuses the fits of the seeds it shares with an earlier one.
    prints = {id(d): fingerprint(d) for d in data.values()}
    store = TaskStore(output, fresh=fresh)
    keys = [store.key(_fit_spec(t), prints[id(data[t.target])]) for t in tasks]

    client, close = (
        connect(scheduler, worker_timeout=worker_timeout)
        if (scheduler is not None)
        else (None, lambda: None)
    )
    where = ""
    bar = _progress(len(tasks), progress)
    start = time.perf_counter()
    try:
        results, reused = execute(
            tasks,
            keys,
            run_task,
            data,
            store=store,
            client=client,
            bar=bar,
            retries=retries,
            error=RunFailedError,
        )
        if client is not None:
            n_workers = len(client.nthreads())
            where = f"; {len(tasks)} fits as Dask tasks on {n_workers} worker(s)"
    finally:
        if bar is not None:
            bar.close()  # before the cluster's shutdown
        close()
    if reused:
        where += f"; {reused} of {len(tasks)} fits reused from an earlier run"
        print(
            f"Reused {reused} of {len(tasks)} fits stored in {store.path} "
            "(--fresh runs them again).",
            file=sys.stderr,
        )
    elapsed = time.perf_counter() - start
    table1, stronger, table2, traces, budget_rows, time_rows = _assemble(
        tasks, results, seed_list
    )

    header = (
        f"sewlearn {__version__} reproduce ({preset}); data: {source}; "
        f"{len(seed_list)} seed(s), {settings['max_epochs']} epochs, "
        f"{settings['optimizer']} lr={settings['lr']}, batch "
        f"{settings['batch_size']}, alignment={settings['alignment']!r}; dev "
        f"partition; {elapsed:.0f} s{where} "
        f"(fit seconds by study: {_seconds_by_study(tasks, results)})"
    )
    if settings["alignment"] == "cca":
        header += f"\n\n{SATURATION_NOTE}"
    md1 = _table1_markdown(table1, stronger)
    md2 = _table2_markdown(table2)
    md3 = _gain_markdown(table2, len(seed_list))
    report = (
        f"{header}\n\n## Table 1: uni-modal results\n\n{md1}\n\n"
        f"{STRONGER_NOTE}\n\n"
        f"## Table 2: SEW and ablations (mean ± std over seeds)\n\n{md2}\n\n"
        f"{IDENTICAL_NOTE}\n\n"
        "## Gain over uni-modal: CCC, paired over seeds "
        f"(mean [95% CI], seeds won of {len(seed_list)}); paper's gain in "
        f"brackets\n\n{md3}\n\n{interval_note(len(seed_list))}\n"
    )
    if budget_rows:
        report += (
            "\n## Label budget: CCC on dev against labeled training recordings\n\n"
            f"{_budget_markdown(budget_rows, len(seed_list))}\n"
        )
    if time_rows:
        report += (
            "\n## Time: frame-wise, sequence and post-processed models (CCC on "
            f"dev; gains paired over seeds, mean [95% CI], seeds won of "
            f"{len(seed_list)})\n\n{_time_markdown(time_rows, len(seed_list))}\n"
        )
    print(report)
    # Written at the end, into a staging folder, then renamed into place.
    staged = staging(output)
    written = [staged / "results.md"]
    written[0].write_text(report, encoding="utf-8")
    written.append(write_csv(staged / "table1_unimodal.csv", table1))
    written.append(write_csv(staged / "table2_ablation.csv", table2))
    if budget_rows:
        written.append(write_csv(staged / "label_budget.csv", budget_rows))
    if time_rows:
        written.append(write_csv(staged / "time_models.csv", time_rows))
    if plots:
        written += _plot(staged, table2, data[CASES[0][0]], traces)
        if budget_rows:
            written += _plot_budget(staged, budget_rows)
    written = publish(output, staged, [path.name for path in written])
    print("Files written:")
    for path in written:
        print(f"  {path}")
    return {
        "table1": table1,
        "table2": table2,
        "label_budget": budget_rows,
        "time": time_rows,
        "stronger": stronger,
        "files": written,
        "fit_seconds": {t.name: r["seconds"] for t, r in zip(tasks, results)},
        "reused": reused,
    }


def _seconds_by_study(tasks, results):
    """``"Table 1 12, Table 2 180, ..."``: the fit seconds summed per study."""
    seconds = {}
    for task, result in zip(tasks, results):
        seconds[task.study] = seconds.get(task.study, 0.0) + result["seconds"]
    return ", ".join(f"{study} {total:.0f}" for study, total in seconds.items())


def _budgets(data, budgets):
    """Numbers of labeled training recordings: ``budgets`` below the total, then all."""
    n_train = len(np.unique(data.groups[data.partition == "train"]))
    return sorted({b for b in budgets if b < n_train} | {n_train})


def _table1_markdown(rows, stronger):
    lines = [
        "| target | "
        + " | ".join(f"{SHORT[m]} CCC | {SHORT[m]} Acc" for m in MODALITIES)
        + " | stronger |",
        "| --- |" + " ---: | ---: |" * len(MODALITIES) + " --- |",
    ]
    for t in TARGETS:
        cells = []
        for m in MODALITIES:
            r = next(r for r in rows if r["target"] == t and r["modality"] == m)
            cells.append(f"{r['ccc']:.3f} | {100 * r['acc']:.1f}")
        lines.append(f"| {t} | " + " | ".join(cells) + f" | {SHORT[stronger[t]]} |")
    return "\n".join(lines)


def _table2_markdown(rows):
    cases = list(dict.fromkeys(r["case"] for r in rows))
    lines = [
        "| variant | " + " | ".join(f"{c} CCC | Acc (%)" for c in cases) + " |",
        "| --- |" + " ---: | ---: |" * len(cases),
    ]
    for variant in VARIANTS:
        cells = []
        for c in cases:
            r = next(r for r in rows if r["case"] == c and r["variant"] == variant)
            cells.append(
                f"{r['ccc_mean']:.3f} ± {r['ccc_std']:.3f} | "
                f"{100 * r['acc_mean']:.1f} ± {100 * r['acc_std']:.1f}"
            )
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _gain_markdown(rows, n_seeds):
    cases = list(dict.fromkeys(r["case"] for r in rows))
    lines = [
        "| variant | " + " | ".join(cases) + " |",
        "| --- |" + " ---: |" * len(cases),
    ]
    for variant in VARIANTS:
        if variant == "uni-modal":
            continue
        cells = []
        for c in cases:
            r = next(r for r in rows if r["case"] == c and r["variant"] == variant)
            cells.append(_gain_cell(r, n_seeds) + f" ({r['paper_gain']:+.3f})")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _gain_cell(row, n_seeds, prefix=None):
    """A paired gain as ``mean [low, high] won/seeds``.

    ``row`` holds ``ccc_gain``, ``ccc_gain_low``, ... or, with ``prefix``,
    ``{prefix}_gain``, ``{prefix}_low``, ``{prefix}_high``, ``{prefix}_wins``.
    """
    keys = (
        [f"{prefix}_{k}" for k in ("gain", "low", "high", "wins")]
        if prefix
        else ["ccc_gain", "ccc_gain_low", "ccc_gain_high", "ccc_wins"]
    )
    return format_gain(*(row[k] for k in keys), n_seeds)


def _budget_markdown(rows, n_seeds):
    lines = [
        "| case | labeled recordings | uni-modal CCC | SEW: gain [95% CI] won | "
        "SEW + unlabeled: gain [95% CI] won |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    keys = list(dict.fromkeys((r["case"], r["labeled_recordings"]) for r in rows))
    for case, budget in keys:
        by = {
            r["method"]: r
            for r in rows
            if r["case"] == case and r["labeled_recordings"] == budget
        }
        lines.append(
            f"| {case} | {budget} | {by['uni-modal']['ccc_mean']:.3f} | "
            f"{_gain_cell(by['SEW'], n_seeds)} | "
            f"{_gain_cell(by['SEW + unlabeled'], n_seeds)} |"
        )
    return "\n".join(lines)


def _time_markdown(rows, n_seeds):
    lines = [
        "| case | model | uni-modal CCC | step gain | over Table 2 | SEW CCC "
        "| step gain | over Table 2 | SEW gain over uni-modal |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in dict.fromkeys(r["case"] for r in rows):
        for model in TIME_MODELS:
            by = {
                r["method"]: r
                for r in rows
                if r["case"] == case and r["model"] == model
            }
            cells = []
            for method in TIME_METHODS:
                r = by[method]
                cells.append(f"{r['ccc_mean']:.3f}")
                for prefix in ("step", "total"):
                    empty = r[f"{prefix}_gain"] is None
                    cells.append("" if empty else _gain_cell(r, n_seeds, prefix))
            cells.append(_gain_cell(by["SEW"], n_seeds, "sew"))
            lines.append(f"| {case} | {model} | " + " | ".join(cells) + " |")
    post = [r for r in rows if r["model"] == TIME_MODELS[3]]
    lines.append("")
    lines.append(
        "Step gains, each over the row before, same method and seeds: the GRU "
        "head over Table 2's MLP head (both frame-wise), windows of "
        "consecutive frames over single frames (same GRU head, same number of "
        "optimiser steps), post-processing over the raw sequence model; "
        "'over Table 2': over the first row, Table 2's model. "
        "Post-processing chose (mean over seeds) "
        + "; ".join(
            f"{r['case']} {r['method']}: delay {r['delay_s_mean']:.1f} s, "
            f"window {r['window_s_mean']:.1f} s"
            for r in post
        )
        + "."
    )
    return "\n".join(lines)


def _plot(output, table2, data, traces):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures (pip install 'sewlearn[plot]').")
        return []
    cases = list(dict.fromkeys(r["case"] for r in table2))
    variants = list(VARIANTS)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(variants)
    for i, variant in enumerate(variants):
        rows = [
            next(r for r in table2 if r["case"] == c and r["variant"] == variant)
            for c in cases
        ]
        ax.bar(
            np.arange(len(cases)) + (i - (len(variants) - 1) / 2) * width,
            [r["ccc_mean"] for r in rows],
            width,
            yerr=[r["ccc_std"] for r in rows],
            capsize=2,
            label=variant,
        )
    ax.set_xticks(np.arange(len(cases)), cases, fontsize=8)
    ax.set_ylabel("CCC on dev")
    ax.set_title("SEW and its ablations (Table 2)")
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(output / "table2_ccc.png", dpi=110)
    plt.close(fig)

    target, weak, strong = CASES[0]
    dev = data.partition == "dev"
    first = data.groups[dev] == data.groups[dev][0]
    t = data.time[dev][first]
    gold = data.targets[target][dev][first]
    # Table 2's frame-wise models; with the time study, a second panel with
    # SEW's frame-wise (GRU head), sequence and post-processed predictions.
    panels = [
        [
            (f"{variant} ({SHORT[weak]} only)", traces[variant])
            for variant in ("uni-modal", "SEW")
        ]
    ]
    if ("time", "SEW", TIME_MODELS[1]) in traces:
        panels.append(
            [
                (f"SEW, {model}", traces["time", "SEW", model])
                for model in TIME_MODELS[1:]
            ]
        )
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(11, 3.5 * len(panels)), sharex=True, squeeze=False
    )
    for ax, lines in zip(axes[:, 0], panels):
        ax.plot(t, gold, color="k", lw=1.5, label="gold standard")
        for label, y_pred in lines:
            ax.plot(t, y_pred[first], lw=1, label=label)
        ax.set_ylabel(target)
        ax.legend(fontsize=8)
    axes[0, 0].set_title(
        f"{data.groups[dev][0]}: {SHORT[weak]}(+{SHORT[strong]}) for {target}"
    )
    if len(panels) > 1:
        axes[1, 0].set_title("time study: windows and post-processing", fontsize=9)
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(output / "traces.png", dpi=110)
    plt.close(fig)
    return [output / "table2_ccc.png", output / "traces.png"]


def _plot_budget(output, rows):
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(r["case"] for r in rows))
    fig, axes = plt.subplots(1, len(cases), figsize=(5 * len(cases), 3.8))
    for ax, case in zip(np.atleast_1d(axes), cases):
        for method in ("SEW", "SEW + unlabeled"):
            sel = [r for r in rows if r["case"] == case and r["method"] == method]
            x = np.array([r["labeled_recordings"] for r in sel])
            gain = np.array([r["ccc_gain"] for r in sel])
            low = np.array([r["ccc_gain_low"] for r in sel])
            high = np.array([r["ccc_gain_high"] for r in sel])
            ax.errorbar(
                x,
                gain,
                yerr=[gain - low, high - gain],
                marker="o",
                capsize=3,
                label=method,
            )
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlabel("labeled training recordings")
        ax.set_ylabel("CCC gain over uni-modal (paired)")
        ax.set_title(case, fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = output / "label_budget.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="sewlearn", description="Stronger Enhancing Weaker (SEW) experiments."
    )
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "reproduce",
        help="run the paper's Tables 1 and 2 (built-in data unless --avec-root)",
    )
    size = rep.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="preset",
        action="store_const",
        const="quick",
        help="small run, about 6 minutes on 2 CPU cores (default)",
    )
    size.add_argument(
        "--full",
        dest="preset",
        action="store_const",
        const="full",
        help="full-size data, 5 seeds, SGD as in the paper (hours)",
    )
    rep.set_defaults(preset="quick")
    rep.add_argument(
        "--avec-root",
        type=Path,
        default=None,
        help="folder of the AVEC 2016 RECOLA features and ratings",
    )
    rep.add_argument(
        "--output",
        type=Path,
        default=Path("sewlearn-output"),
        help="folder for results.md, CSV tables and PNG figures",
    )
    rep.add_argument("--seeds", type=int, default=None, help="seeds per cell")
    rep.add_argument("--max-epochs", type=int, default=None)
    rep.add_argument(
        "--n-recordings",
        type=int,
        default=None,
        help="recordings per partition of the built-in data",
    )
    rep.add_argument(
        "--n-frames",
        type=int,
        default=None,
        help="frames per recording of the built-in data",
    )
    rep.add_argument("--device", default="cpu")
    rep.add_argument("--random-state", type=int, default=0)
    rep.add_argument("--no-progress", action="store_true")
    rep.add_argument("--no-plots", action="store_true")
    rep.add_argument(
        "--label-budget",
        action="store_true",
        help="also CCC against the number of labeled training recordings, for "
        "uni-modal, SEW and SEW with the other recordings as unlabeled pairs",
    )
    rep.add_argument(
        "--alignment",
        choices=("cca", "ey"),
        default=None,
        help="alignment loss of every SEW fit: cca (the paper's, default) or ey "
        "(Eckart-Young, unbiased at any batch size; with windows, from 4 a batch)",
    )
    rep.add_argument(
        "--time",
        action="store_true",
        help="also frame-wise against sequence models (windows of 2 s, "
        "sequence_length) and the sequence model post-processed "
        "(PostProcessedRegressor), for uni-modal and SEW",
    )
    rep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run every fit as a task on a Dask cluster: a scheduler address "
        "(tcp://host:8786) or local:N for N single-threaded local worker "
        "processes; same tables as without (pip install 'sewlearn[distributed]')",
    )
    rep.add_argument(
        "--worker-timeout",
        type=float,
        default=60,
        metavar="SECONDS",
        help="with --scheduler: stop if no Dask worker has joined after this "
        "long (default 60)",
    )
    _add_store_arguments(rep)
    _add_store_arguments(add_compare_parser(sub))
    args = parser.parse_args(argv)
    command = f"sewlearn {args.command}"
    try:
        if args.command == "reproduce":
            _reproduce_command(args)
        else:
            args.handler(args)
    except UsageError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        stored = Path(args.output) / STATE_FOLDER / "tasks"
        kept = (
            f" The fits that finished are kept in {stored}: rerun the same "
            "command to resume."
            if stored.is_dir()
            else ""
        )
        print(
            f"{command}: interrupted; no result files were written.{kept}",
            file=sys.stderr,
        )
        return 130
    return 0


def _add_store_arguments(sub):
    """``--fresh`` and ``--overwrite``: how a run treats its output folder."""
    sub.add_argument(
        "--fresh",
        action="store_true",
        help="run every fit again, ignoring the fits stored in the output "
        "folder by an earlier run (by default a rerun resumes)",
    )
    sub.add_argument(
        "--overwrite",
        action="store_true",
        help="replace result files in the output folder that no earlier "
        "sewlearn run wrote there (by default the run stops)",
    )


def _reproduce_command(args):
    run(
        output=args.output,
        preset=args.preset,
        avec_root=args.avec_root,
        seeds=args.seeds,
        max_epochs=args.max_epochs,
        n_recordings=args.n_recordings,
        n_frames=args.n_frames,
        device=args.device,
        random_state=args.random_state,
        progress=not args.no_progress,
        plots=not args.no_plots,
        label_budget=args.label_budget,
        time_models=args.time,
        alignment=args.alignment,
        scheduler=args.scheduler,
        overwrite=args.overwrite,
        fresh=args.fresh,
        worker_timeout=args.worker_timeout,
    )
