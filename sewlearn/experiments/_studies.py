# License: BSD 3 clause
"""The paper's studies as lists of tasks: Tables 1 and 2, label budget, time.

A study is data: :func:`plan` lists its fits as :class:`Task` objects, and
:func:`run_task` fits and scores one of them, the same function one after
the other or on Dask (:func:`~sewlearn.experiments.run_study`); the tables
are assembled from the results in the plan's order
(:func:`~sewlearn.experiments.assemble`).
"""

import dataclasses
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.preprocessing import StandardScaler

from sewlearn import binary_accuracy_score, ccc_score
from sewlearn._parallel import torch_threads_for_task
from sewlearn.exceptions import AlignmentSaturationWarning, WeakTeacherWarning
from sewlearn.postprocessing import PostProcessedRegressor

from ._errors import UsageError
from ._recola import (
    CASES,
    MODALITIES,
    TARGETS,
    VARIANTS,
    case_name,
    evaluate,
    make_distilled,
    make_model,
    make_sew,
)

# The label-budget study: two of the paper's cases (one per target).
BUDGET_CASES = (CASES[0], CASES[2])

# The time study (``--time``, the paper's future work): the same two cases,
# the uni-modal network and SEW, each as Table 2's frame-wise model (its MLP
# head; no extra fit), as a frame-wise model with the recurrent head
# (head="gru"), as a sequence model with that head over windows of
# ``window_seconds``, and as that sequence model with the AVEC 2016
# baseline's post-processing. The window is the only difference between the
# second and the third; the sequence model trains for as many optimiser
# steps as the frame-wise one (:func:`equal_step_epochs`).
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


@dataclass(frozen=True)
class Method:
    """A row of the label-budget study: how its model is built and trained.

    Parameters
    ----------
    name : str
        The row's name in the tables.
    variant : str, default="SEW"
        A key of :data:`VARIANTS`: the loss weights and whether the strong
        view is passed to ``fit`` ("uni-modal": not).
    unlabeled : bool, default=False
        Also fit on the other training recordings, as unlabeled paired rows
        (NaN targets). With every recording labeled the row is its labeled
        twin (the same method with ``unlabeled=False``) when the study has
        one, and is not fitted again.
    params : dict or tuple of (name, value) pairs, default=()
        Further parameters of the model (of :func:`make_model`, or of
        ``build``); kept as sorted pairs, part of every task's key.
    build : callable, default=None
        Builds the model instead of :func:`make_model`, with its signature
        ``build(weak, strong, variant, *, seed, settings, device, **params)``;
        a module-level function (tasks travel to Dask workers by reference).
        Its ``fit`` takes the strong view as ``X_strong`` (a pipeline's: of
        its last step).

    Examples
    --------
    >>> from sewlearn.experiments import LABEL_BUDGET_METHODS, Method
    >>> [m.name for m in LABEL_BUDGET_METHODS]
    ['uni-modal', 'SEW', 'SEW + unlabeled']
    >>> Method("SEW, ey", params={"alignment": "ey"}).params
    (('alignment', 'ey'),)
    """

    name: str
    variant: str = "SEW"
    unlabeled: bool = False
    params: tuple = ()
    build: Callable | None = None

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(
                f"Method {self.name!r}: variant must be one of {list(VARIANTS)}, "
                f"got {self.variant!r}"
            )
        params = self.params
        if isinstance(params, dict):
            params = params.items()
        object.__setattr__(self, "params", tuple(sorted(params)))

    def labeled_twin(self):
        """The same method on the labeled recordings only."""
        return dataclasses.replace(self, name=None, unlabeled=False)


# The label budget's rows: the first is the baseline of every gain. "SEW +
# unlabeled" also gets the training recordings without labels as unlabeled
# paired rows (NaN targets).
LABEL_BUDGET_METHODS = (
    Method("uni-modal", "uni-modal"),
    Method("SEW"),
    Method("SEW + unlabeled", unlabeled=True),
)
# Output-level transfer (distillation), on the same unlabeled recordings: SEW
# with its L_kd term (teacher="linear"), and the uni-modal network distilled
# from the same linear teacher (DistilledRegressor).
DISTILLATION_METHODS = (
    Method("SEW + unlabeled + L_kd", unlabeled=True, params={"distillation": 1.0}),
    Method("distilled network", unlabeled=True, build=make_distilled),
)


@dataclass(frozen=True)
class Task:
    """One fit of the protocol, scored on dev: the unit of work of a run.

    The serial loop and the Dask path execute the same list of tasks with
    :func:`run_task`, so both give the same scores.

    ``variant`` (a key of :data:`VARIANTS`) sets the loss weights and whether
    ``X_strong`` is passed; ``strong`` is the case's strong modality, which
    also sizes the network (None in Table 1). ``labeled`` (label budget only)
    lists the training recordings that keep their labels; with ``semi`` the
    other training recordings come as unlabeled paired rows; ``method`` is
    the row's name, ``params`` and ``build`` its :class:`Method`'s. ``model``
    (time study only) is ``TIME_MODELS[1]`` (frame-wise) or
    ``TIME_MODELS[2]`` (sequence); a sequence task also scores the sequence
    model post-processed. ``draw`` (runs over several draws of the data
    only) is the draw whose data the task fits.
    """

    study: str  # "Table 1", "Table 2", "label budget" or "time"
    target: str
    weak: str
    strong: str | None
    variant: str
    seed: int
    settings: dict = field(compare=False)
    device: str = "cpu"
    labeled: tuple | None = None
    semi: bool = False
    method: str | None = None  # label budget: a Method's name
    keep_prediction: bool = False  # for the traces figure
    model: str | None = None  # time study: TIME_MODELS[1] or TIME_MODELS[2]
    params: tuple = ()  # label budget: further model parameters
    build: Callable | None = None  # label budget: builds the model
    draw: int | None = None

    @property
    def name(self):
        """The run as a reader finds it in the tables: case, variant, seed."""
        case = case_name(self.target, self.weak, self.strong)
        draw = "" if self.draw is None else f", draw {self.draw}"
        if self.model is not None:
            return (
                f"{self.study}, {case}, {self.variant}, {self.model}, seed "
                f"{self.seed}{draw}"
            )
        if self.labeled is None:
            return f"{self.study}, {case}, {self.variant}, seed {self.seed}{draw}"
        return (
            f"{self.study}, {case}, {len(self.labeled)} labeled recording(s), "
            f"{self.method}, seed {self.seed}{draw}"
        )

    def fit_spec(self):
        """The task without what does not change its fit: its store key's part.

        The settings that only size the run (``seeds``, ``budgets``) and the
        draw (the data's fingerprint says which data it fits) are left out,
        so a run with more seeds, or over several draws, reuses the fits it
        shares with an earlier run.
        """
        settings = {
            k: v for k, v in self.settings.items() if k not in ("seeds", "budgets")
        }
        return dataclasses.replace(self, settings=settings, draw=None)


def task_data(task, data):
    """The data set of ``task``: ``data[target]``, or ``data[draw][target]``."""
    return data[task.target] if task.draw is None else data[task.draw][task.target]


def run_task(task, data):
    """Fit and score one :class:`Task`.

    Parameters
    ----------
    task : Task
        The fit.
    data : dict
        Target -> data set (:func:`load_data`); for a task with a ``draw``,
        draw -> (target -> data set).

    Returns
    -------
    dict
        ``ccc``, ``acc``, ``y_pred`` (None unless the task keeps its
        predictions) and ``seconds`` (the fit and prediction); a sequence
        task of the time study also the post-processed scores
        (``ccc_post``, ``acc_post``, ``y_post``) and the post-processing's
        choices (``delay_s``, ``window_s``). Inside a Dask worker torch uses
        one thread (:func:`sewlearn._parallel.torch_threads_for_task`).
    """
    run = _run_task if task.model is None else _run_time_task
    with warnings.catch_warnings(), torch_threads_for_task():
        # Every fit of the paper's setting would repeat it: the report says
        # it once.
        warnings.simplefilter("ignore", AlignmentSaturationWarning)
        # A weak teacher shows in the row's paired gain; not once per fit.
        warnings.simplefilter("ignore", WeakTeacherWarning)
        return run(task, task_data(task, data))


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
    build = task.build or make_model
    model = build(
        task.weak,
        task.strong,
        task.variant,
        seed=task.seed,
        settings=task.settings,
        device=task.device,
        **dict(task.params),
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
    budget_methods=LABEL_BUDGET_METHODS,
    time_models=False,
    draw=None,
):
    """Every fit of Table 1, Table 2, the label budget study and the time study.

    Parameters
    ----------
    data : dict
        Target -> data set (:func:`load_data`).
    settings : dict
        A preset (:data:`PRESETS`), possibly changed.
    seed_list : list of int
        The seeds of every cell of Table 2 and of the studies.
    random_state : int, default=0
        The seed of Table 1's fits.
    device : str, default="cpu"
        The torch device of every fit.
    budgets : sequence of int, default=()
        Numbers of labeled training recordings of the label-budget study;
        empty: no such study.
    budget_methods : sequence of Method, default=LABEL_BUDGET_METHODS
        The label-budget study's rows; the first is the baseline.
    time_models : bool, default=False
        Also the time study.
    draw : int, default=None
        Set on every task: the draw of the data in a run over several.

    Returns
    -------
    list of Task
        The tables are assembled from their results in this order
        (:func:`assemble`).

    Examples
    --------
    >>> from sewlearn.experiments import (PRESETS, TARGETS, built_in_data,
    ...                                   plan)
    >>> settings = dict(PRESETS["quick"], n_recordings=2, n_frames=50)
    >>> data = dict.fromkeys(TARGETS, built_in_data(settings))
    >>> tasks = plan(data, settings, [0, 1], budgets=[1, 2])
    >>> len(tasks)  # Table 1: 6, Table 2: 5 cases x 6 variants x 2 seeds, budget: 20
    86
    >>> tasks[0].name
    'Table 1, arousal: audio, uni-modal, seed 0'
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
                    draw=draw,
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
                        draw=draw,
                    )
                )
    if budgets:
        tasks += plan_label_budget(
            data, budgets, seed_list, settings, device, budget_methods, draw=draw
        )
    if time_models:
        tasks += plan_time(data, seed_list, settings, device, draw=draw)
    return tasks


def frame_period(data):
    """Seconds between consecutive frames of a recording (the median step)."""
    steps = np.diff(data.time)
    return float(np.median(steps[steps > 0]))


def equal_step_epochs(groups, length, settings):
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


def plan_time(data, seed_list, settings, device="cpu", *, draw=None):
    """The fits of the time study: frame-wise, then sequence (+ post-processing).

    For each case, method (uni-modal, SEW) and seed: one frame-wise fit and
    one sequence fit, which also gives the post-processed sequence model
    (:func:`run_task`). The sequence model reads windows of
    ``window_seconds``, ``windows_per_batch`` of them a batch, for as many
    optimiser steps as the frame-wise model (:func:`equal_step_epochs`).
    """
    tasks = []
    for target, weak, strong in TIME_CASES:
        case_data = data[target]
        period = frame_period(case_data)
        length = max(1, int(round(settings["window_seconds"] / period)))
        train_groups = case_data.groups[case_data.partition == "train"]
        runs = {
            TIME_MODELS[1]: dict(settings, sequence_length=None, frame_period=period),
            TIME_MODELS[2]: dict(
                settings,
                sequence_length=length,
                batch_size=settings["windows_per_batch"],
                max_epochs=equal_step_epochs(train_groups, length, settings),
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
                            draw=draw,
                        )
                    )
    return tasks


def check_time_plan(tasks, data):
    """The time study needs training recordings at least one window long."""
    for task in tasks:
        length = task.settings.get("sequence_length")
        if task.study != "time" or not length:
            continue
        case_data = task_data(task, data)
        _, sizes = np.unique(case_data.groups, return_counts=True)
        if sizes.min() < length:
            raise UsageError(
                f"--time needs recordings of at least one window "
                f"({task.settings['window_seconds']:g} s = {length} frames at "
                f"frame step {task.settings['frame_step']}); the shortest has "
                f"{sizes.min()}: raise --n-frames"
            )


def label_budgets(data, budgets):
    """Numbers of labeled training recordings: ``budgets`` below the total, then all."""
    n_train = len(np.unique(data.groups[data.partition == "train"]))
    return sorted({b for b in budgets if b < n_train} | {n_train})


def plan_label_budget(
    data,
    budgets,
    seed_list,
    settings,
    device="cpu",
    methods=LABEL_BUDGET_METHODS,
    *,
    draw=None,
):
    """The fits of the label-budget study: CCC on dev against labeled recordings.

    For each seed, ``b`` training recordings drawn at random (the same for
    every method: a paired comparison) keep their labels. Each of
    ``methods`` (:class:`Method`; the first is the baseline of the gains)
    trains on those recordings; one with ``unlabeled`` also gets the other
    training recordings as unlabeled paired rows (NaN targets). An epoch is
    a pass over every row a model gets, so such a method takes more steps per
    epoch; to compare at equal optimisation, the others train for
    proportionally more epochs (the same number of steps).
    """
    methods = tuple(methods)
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValueError(f"the label budget's methods need distinct names: {names}")
    twins = {m.labeled_twin() for m in methods if not m.unlabeled}
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
                for method in methods:
                    semi = method.unlabeled
                    if semi and budget == len(recordings):
                        if method.labeled_twin() in twins:
                            continue  # nothing unlabeled: it is its twin
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
                            method.variant,
                            seed,
                            run_settings,
                            device,
                            labeled=tuple(chosen.tolist()),
                            semi=semi,
                            method=method.name,
                            params=method.params,
                            build=method.build,
                            draw=draw,
                        )
                    )
    return tasks
