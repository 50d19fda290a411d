# License: BSD 3 clause
"""``sewlearn reproduce``: the paper's experiments end to end (Tables 1 and 2).

A preset of the experiment engine (:mod:`sewlearn.experiments`): the paper's
Tables 1 and 2 and, on request, the label-budget study (``--label-budget``,
the rows of :data:`BUDGET_METHODS`), the time study (``--time``: frame-wise
against sequence models and post-processing) and the alignment loss of
every SEW fit (``--alignment``), on one or several draws of the built-in
data (``--random-state``) or on the AVEC 2016 features.

Every comparison with the uni-modal network is a *paired* difference over
seeds (same split, same seed, with and without the strong modality) with a
95% t interval and the count of seeds won (:func:`sewlearn.paired_gain`).
Every fit is one :class:`~sewlearn.experiments.Task`, run by
:func:`~sewlearn.experiments.run_task` one after the other or, with
``--scheduler``, as Dask tasks; the tables are assembled from the results
in the plan's order, so both ways write the same tables.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from sewlearn import __version__
from sewlearn.experiments import (
    DISTILLATION_METHODS,
    LABEL_BUDGET_METHODS,
    PRESETS,
    STATE_FOLDER,
    TARGETS,
    TaskFailedError,
    TaskStore,
    UsageError,
    assemble,
    assemble_draws,
    check_output,
    fingerprint,
    load_data,
    paper_report,
    plan,
    run_study,
    run_task,
    write_paper_files,
)
from sewlearn.experiments._compare import add_parser as add_compare_parser
from sewlearn.experiments._paper_report import RESULT_FILES, SATURATION_NOTE
from sewlearn.experiments._studies import check_time_plan, label_budgets, task_data

# The label-budget study's rows (sewlearn.experiments.Method); the first is
# the baseline of every gain. A row is a Method: a variant, parameters of
# the model, unlabeled recordings or not, or a function that builds it.
BUDGET_METHODS = LABEL_BUDGET_METHODS + DISTILLATION_METHODS


class RunFailedError(TaskFailedError):
    """A fit of ``sewlearn reproduce`` failed; the message names the run."""

    def __init__(self, task, exc):
        super().__init__(task, exc, command="sewlearn reproduce")


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

    With ``label_budget=True`` also the label-budget study (the rows of
    :data:`BUDGET_METHODS`); with ``time_models=True`` also the time study.
    ``alignment`` ("cca", the paper's and the presets' default, or "ey") is
    the alignment loss of every SEW fit. ``random_state``: the draw of the
    built-in data, or several (a list): each draw runs (its seeds are
    ``random_state + i``, as a run of that draw alone), and the report gives
    each draw's paired gains and the gains pooled over every (draw, seed)
    pair. Every fit is one :class:`~sewlearn.experiments.Task`; they run one
    after the other, or with ``scheduler`` as tasks on a Dask cluster: a
    scheduler address (``"tcp://host:8786"``), ``"local:N"`` (a
    ``LocalCluster`` of ``N`` single-threaded worker processes, started and
    closed here; in a script, call under ``if __name__ == "__main__":``) or
    a ``distributed.Client``; a cluster with no worker after
    ``worker_timeout`` seconds stops the run. Both give the same tables. A
    task that raises is retried ``retries`` times on Dask; a run that still
    fails stops the whole run with :class:`RunFailedError` naming it.

    Every argument, the output folder and the scheduler are checked before
    the first fit (:class:`~sewlearn.experiments.UsageError`). Each finished
    fit is stored in ``output/.sewlearn``, so a rerun of an interrupted run
    resumes, with the same tables; ``fresh=True`` runs every fit again. The
    result files are written at the end (see :mod:`sewlearn.experiments`).

    Returns a dict with the tables as lists of row dicts, the paths of the
    files written, ``fit_seconds`` (each run's name and its fit time) and
    ``reused`` (the number of fits taken from the store).
    """
    if preset not in PRESETS:
        raise UsageError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    changes = dict(
        seeds=seeds,
        max_epochs=max_epochs,
        n_recordings=n_recordings,
        n_frames=n_frames,
        alignment=alignment,
    )
    settings = {
        **PRESETS[preset],
        **{k: v for k, v in changes.items() if v is not None},
    }
    draws = _check_settings(settings, device, worker_timeout, random_state, avec_root)
    check_output(output, RESULT_FILES, overwrite=overwrite)
    multi = len(draws) > 1
    data, sources, tasks = {}, [], []
    for draw in draws:
        data[draw], source = load_data(settings, avec_root, draw)
        sources.append(source)
        budgets = label_budgets(data[draw][TARGETS[0]], settings["budgets"])
        tasks += plan(
            data[draw],
            settings,
            [draw + i for i in range(settings["seeds"])],
            random_state=draw,
            device=device,
            budgets=budgets if label_budget else (),
            budget_methods=BUDGET_METHODS,
            time_models=time_models,
            draw=draw if multi else None,
        )
    data = data if multi else data[draws[0]]
    check_time_plan(tasks, data)

    # What determines each fit: the task (but for what only sizes the run),
    # its data and the sewlearn version; a run with more seeds or draws
    # reuses the fits it shares with an earlier one.
    prints = {}
    store = TaskStore(output, fresh=fresh)
    keys = []
    for task in tasks:
        task_set = task_data(task, data)
        if id(task_set) not in prints:
            prints[id(task_set)] = fingerprint(task_set)
        keys.append(store.key(task.fit_spec(), prints[id(task_set)]))
    done = run_study(
        tasks,
        run_task,
        data,
        store=store,
        keys=keys,
        scheduler=scheduler,
        worker_timeout=worker_timeout,
        retries=retries,
        error=RunFailedError,
        progress=progress,
        desc="runs",
    )
    if multi:
        tables = assemble_draws(tasks, done.results, BUDGET_METHODS)
    else:
        tables = assemble(tasks, done.results, BUDGET_METHODS)
    header = _header(preset, sources, draws, settings, tasks, done)
    report = paper_report(tables, header, settings["seeds"])
    print(report)
    first = data[draws[0]] if multi else data
    written = write_paper_files(
        Path(output), report, tables, first[TARGETS[0]], plots=plots
    )
    return {
        "table1": tables["table1"],
        "table2": tables["table2"],
        "label_budget": tables["label_budget"],
        "time": tables["time"],
        "stronger": tables["stronger"],
        "files": written,
        "fit_seconds": {t.name: r["seconds"] for t, r in zip(tasks, done.results)},
        "reused": done.reused,
    }


def _header(preset, sources, draws, settings, tasks, done):
    """The first paragraph of results.md: what ran, on which data, how long."""
    where = ""
    if done.n_workers is not None:
        where = f"; {len(tasks)} fits as Dask tasks on {done.n_workers} worker(s)"
    if done.reused:
        where += f"; {done.reused} of {len(tasks)} fits reused from an earlier run"
    source = sources[0]
    if len(draws) > 1:
        source = source.replace(
            f"random_state={draws[0]})",
            f"random_state={', '.join(map(str, draws))}: {len(draws)} draws)",
        )
    seconds = {}
    for task, result in zip(tasks, done.results):
        seconds[task.study] = seconds.get(task.study, 0.0) + result["seconds"]
    by_study = ", ".join(f"{study} {total:.0f}" for study, total in seconds.items())
    header = (
        f"sewlearn {__version__} reproduce ({preset}); data: {source}; "
        f"{settings['seeds']} seed(s), {settings['max_epochs']} epochs, "
        f"{settings['optimizer']} lr={settings['lr']}, batch "
        f"{settings['batch_size']}, alignment={settings['alignment']!r}; dev "
        f"partition; {done.seconds:.0f} s{where} "
        f"(fit seconds by study: {by_study})"
    )
    if settings["alignment"] == "cca":
        header += f"\n\n{SATURATION_NOTE}"
    return header


def _check_settings(settings, device, worker_timeout, random_state, avec_root):
    """:class:`UsageError` for a setting no run can use, before any work.

    Returns the draws of the data: ``random_state`` as a list.
    """
    for key, option, low in (
        ("seeds", "--seeds", 1),
        ("max_epochs", "--max-epochs", 1),
        ("n_recordings", "--n-recordings", 1),
        ("n_frames", "--n-frames", 1),
    ):
        value = settings[key]
        if not isinstance(value, int | np.integer) or value < low:
            raise UsageError(f"{option} must be an integer >= {low}, got {value!r}")
    draws = list(np.atleast_1d(random_state).tolist())
    if not draws or not all(isinstance(d, int) for d in draws):
        raise UsageError(f"--random-state must be integers, got {random_state!r}")
    if len(set(draws)) != len(draws):
        raise UsageError(f"--random-state: each draw once, got {draws}")
    if len(draws) > 1 and avec_root is not None:
        raise UsageError(
            "--random-state with several values draws the built-in data several "
            "times; the AVEC 2016 features are one data set: use --seeds"
        )
    if not worker_timeout > 0:
        raise UsageError(f"--worker-timeout must be > 0, got {worker_timeout!r}")
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError) as exc:
        raise UsageError(f"--device {device!r} is not a torch device: {exc}") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {device!r}: CUDA is not available here")
    return draws


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
    rep.add_argument(
        "--random-state",
        type=int,
        nargs="+",
        default=[0],
        metavar="DRAW",
        help="draw of the built-in data (make_recola_like's random_state; the "
        "seeds are DRAW, DRAW + 1, ...); several, e.g. 0 1 2, run each draw and "
        "report the paired gains per draw and pooled over all (draw, seed) pairs",
    )
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
