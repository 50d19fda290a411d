# License: BSD 3 clause
"""The paper's tables from task results: scores, paired gains, per draw and pooled.

Every comparison is a paired difference over the cells' common seeds (the
same split and seed with and without the ingredient), in the order of the
plan (:func:`~sewlearn.experiments.plan`). Over several draws of the data,
the per-draw tables pair within each draw and the pooled ones pair every
(draw, seed) pair (:func:`assemble_draws`).
"""

import numpy as np

from ._recola import CASES, PAPER_TABLE2_CCC, TARGETS, VARIANTS, case_name
from ._report import gain_columns
from ._studies import LABEL_BUDGET_METHODS, TIME_CASES, TIME_METHODS, TIME_MODELS

POOLED = "pooled"


def assemble(tasks, results, budget_methods=LABEL_BUDGET_METHODS):
    """Table 1, Table 2, the label-budget and time rows from task results.

    Parameters
    ----------
    tasks : list of Task
        A plan (:func:`~sewlearn.experiments.plan`), in its order.
    results : list of dict
        :func:`~sewlearn.experiments.run_task`'s result of each task.
    budget_methods : sequence of Method, default=LABEL_BUDGET_METHODS
        The label-budget study's rows, as planned; the first is the baseline.

    Returns
    -------
    dict
        ``table1`` (rows: target, modality, ccc, acc), ``stronger`` (target
        -> the modality with the highest CCC), ``table2`` (rows per case and
        variant: mean and std over seeds, the paired gain over uni-modal and
        the paper's), ``label_budget`` and ``time`` (rows, empty without
        these studies) and ``traces`` (kept predictions, for the figures).
        Tasks of several draws pool into each cell, paired by (draw, seed).

    Examples
    --------
    Three seeds of SEW and of the uni-modal network in one case: SEW's paired
    gain is the mean of the three differences.

    >>> from sewlearn.experiments import CASES, PRESETS, Task, assemble
    >>> tasks = [Task("Table 2", *CASES[0], v, s, PRESETS["quick"])
    ...          for v in ("SEW", "uni-modal") for s in (0, 1, 2)]
    >>> ccc = [0.50, 0.52, 0.51, 0.48, 0.49, 0.50]
    >>> results = [dict(ccc=c, acc=0.7, y_pred=None) for c in ccc]
    >>> row = assemble(tasks, results)["table2"][0]
    >>> row["variant"], round(row["ccc_gain"], 3), row["ccc_wins"]
    ('SEW', 0.02, 3)
    """
    done = list(zip(tasks, results))
    table1 = [
        dict(target=t.target, modality=t.weak, ccc=r["ccc"], acc=r["acc"])
        for t, r in done
        if t.study == "Table 1"
    ]
    stronger = {
        target: max(rows, key=lambda r: r["ccc"])["modality"]
        for target in TARGETS
        if (rows := [r for r in table1 if r["target"] == target])
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
            if not cell:
                continue
            cccs = [r["ccc"] for _, r in cell]
            accs = [r["acc"] for _, r in cell]
            for t, r in cell:
                if t.keep_prediction and variant not in traces:
                    traces[variant] = r["y_pred"]
            per_seed[variant] = cccs
            table2.append(
                dict(
                    case=case_name(target, weak, strong),
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
        for row in table2[len(table2) - len(per_seed) :]:
            row.update(
                gain_columns(
                    per_seed[row["variant"]],
                    per_seed["uni-modal"],
                    ("ccc_gain", "ccc_gain_low", "ccc_gain_high", "ccc_wins"),
                ),
                paper_gain=round(
                    row["paper_ccc"] - PAPER_TABLE2_CCC["uni-modal"][case_index], 3
                ),
            )

    budget_rows = _assemble_budget(done, budget_methods)
    time_rows = _assemble_time(done, traces)
    return dict(
        table1=table1,
        stronger=stronger,
        table2=table2,
        traces=traces,
        label_budget=budget_rows,
        time=time_rows,
    )


def _assemble_budget(done, methods):
    """The label-budget rows: per case, budget and method, gain over the first."""
    rows = []
    methods = tuple(methods)
    names = [m.name for m in methods]
    budget_done = [(t, r) for t, r in done if t.study == "label budget"]
    for target, weak, strong in {
        (t.target, t.weak, t.strong): None for t, _ in budget_done
    }:
        case_done = [
            (t, r)
            for t, r in budget_done
            if (t.target, t.weak, t.strong) == (target, weak, strong)
        ]
        budgets = list(dict.fromkeys(len(t.labeled) for t, _ in case_done))
        for budget in budgets:
            scores = {name: [] for name in names}
            for t, r in case_done:
                if len(t.labeled) == budget:
                    scores[t.method].append(r["ccc"])
            for method in methods:
                if not scores[method.name] and method.unlabeled:
                    # All labeled: it is its labeled twin.
                    twin = next(
                        m
                        for m in methods
                        if not m.unlabeled and m.labeled_twin() == method.labeled_twin()
                    )
                    scores[method.name] = scores[twin.name]
            for name in names:
                gain = gain_columns(
                    scores[name],
                    scores[names[0]],
                    ("ccc_gain", "ccc_gain_low", "ccc_gain_high", "ccc_wins"),
                )
                rows.append(
                    dict(
                        case=case_name(target, weak, strong),
                        labeled_recordings=budget,
                        method=name,
                        ccc_mean=float(np.mean(scores[name])),
                        **gain,
                        n_seeds=len(scores[name]),
                    )
                )
    return rows


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
                traces.setdefault(("time", t.variant, t.model), r["y_pred"])
            if t.model == TIME_MODELS[2]:
                post = (t.variant, TIME_MODELS[3])
                scores.setdefault(post, []).append(r["ccc_post"])
                chosen.setdefault(t.variant, []).append((r["delay_s"], r["window_s"]))
                if t.keep_prediction:
                    traces.setdefault(("time", *post), r["y_post"])
        if ("SEW", TIME_MODELS[2]) not in scores:  # no time study in this run
            continue
        for variant in TIME_METHODS:
            for i, model in enumerate(TIME_MODELS):
                ccc = scores[variant, model]
                row = dict(
                    case=case_name(target, weak, strong),
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
                    names = [f"{prefix}_{k}" for k in ("gain", "low", "high", "wins")]
                    if other is None:
                        row.update(dict.fromkeys(names))
                    else:
                        row.update(gain_columns(ccc, other, names))
                delay, window = (
                    np.mean(chosen[variant], axis=0).tolist()
                    if model == TIME_MODELS[3]
                    else (None, None)
                )
                row.update(delay_s_mean=delay, window_s_mean=window)
                rows.append(row)
    return rows


def assemble_draws(tasks, results, budget_methods=LABEL_BUDGET_METHODS):
    """:func:`assemble` for each draw of the data, and pooled over the draws.

    Parameters
    ----------
    tasks, results, budget_methods
        As for :func:`assemble`; each task's ``draw`` says its draw.

    Returns
    -------
    dict
        As :func:`assemble`'s, but every row (Table 1 too) starts with a
        ``draw`` column: each draw's rows (gains paired within the draw, over
        its seeds), then, but for Table 1, the pooled rows (``draw`` is
        ``"pooled"``; gains paired over every (draw, seed) pair, means and
        standard deviations over them). ``stronger`` maps each draw to its
        own; ``traces`` are the first draw's; ``draws`` lists the draws.

    Examples
    --------
    Two draws of two seeds: SEW gains 0.02 in the first draw and loses 0.01
    in the second; pooled over the four (draw, seed) pairs, +0.005.

    >>> from sewlearn.experiments import CASES, PRESETS, Task, assemble_draws
    >>> tasks = [Task("Table 2", *CASES[0], v, d + s, PRESETS["quick"], draw=d)
    ...          for d in (0, 1) for v in ("SEW", "uni-modal") for s in (0, 1)]
    >>> ccc = [0.52, 0.52, 0.50, 0.50, 0.49, 0.49, 0.50, 0.50]
    >>> results = [dict(ccc=c, acc=0.7, y_pred=None) for c in ccc]
    >>> tables = assemble_draws(tasks, results)
    >>> [(r["draw"], round(r["ccc_gain"], 3), r["ccc_wins"], r["n_seeds"])
    ...  for r in tables["table2"] if r["variant"] == "SEW"]
    [(0, 0.02, 2, 2), (1, -0.01, 0, 2), ('pooled', 0.005, 2, 4)]
    """
    draws = list(dict.fromkeys(t.draw for t in tasks))
    done = list(zip(tasks, results))
    per_draw = {
        d: assemble(*zip(*[(t, r) for t, r in done if t.draw == d]), budget_methods)
        for d in draws
    }
    pooled = assemble(tasks, results, budget_methods)
    out = dict(
        draws=draws,
        stronger={d: per_draw[d]["stronger"] for d in draws},
        traces=per_draw[draws[0]]["traces"],
        table1=[{"draw": d, **row} for d in draws for row in per_draw[d]["table1"]],
    )
    for key in ("table2", "label_budget", "time"):
        out[key] = [{"draw": d, **row} for d in draws for row in per_draw[d][key]] + [
            {"draw": POOLED, **row} for row in pooled[key]
        ]
    return out
