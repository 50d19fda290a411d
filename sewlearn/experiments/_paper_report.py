# License: BSD 3 clause
"""The paper's report: results.md, CSV tables and figures from assembled rows.

:func:`paper_report` writes the Markdown of the tables of
:func:`~sewlearn.experiments.assemble` (one draw) or
:func:`~sewlearn.experiments.assemble_draws` (several: a ``draw`` column,
each draw's rows and the pooled ones); :func:`write_paper_files` writes it
with the CSV tables and the figures into an output folder.
"""

import numpy as np

from ._output import publish, staging
from ._recola import CASES, MODALITIES, SHORT, TARGETS, VARIANTS
from ._report import format_gain, interval_note, pooled_interval_note, write_csv
from ._studies import TIME_METHODS, TIME_MODELS
from ._tables import POOLED

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


def _draw_keys(tables):
    """The row groups of the tables: ``[None]``, or the draws then "pooled"."""
    draws = tables.get("draws")
    return [None] if draws is None else [*draws, POOLED]


def _rows(rows, draw):
    return rows if draw is None else [r for r in rows if r["draw"] == draw]


def _draw_cell(draw):
    """The draw column's cell, at the start of a row ("" without draws)."""
    return "" if draw is None else f"| {draw} "


def _table1_markdown(tables):
    multi = "draws" in tables
    lines = [
        ("| draw " if multi else "")
        + "| target | "
        + " | ".join(f"{SHORT[m]} CCC | {SHORT[m]} Acc" for m in MODALITIES)
        + " | stronger |",
        ("| --- " if multi else "")
        + "| --- |"
        + " ---: | ---: |" * len(MODALITIES)
        + " --- |",
    ]
    for draw in tables["draws"] if multi else [None]:
        rows = _rows(tables["table1"], draw)
        stronger = tables["stronger"][draw] if multi else tables["stronger"]
        for t in TARGETS:
            cells = []
            for m in MODALITIES:
                r = next(r for r in rows if r["target"] == t and r["modality"] == m)
                cells.append(f"{r['ccc']:.3f} | {100 * r['acc']:.1f}")
            lines.append(
                f"{_draw_cell(draw)}| {t} | "
                + " | ".join(cells)
                + f" | {SHORT[stronger[t]]} |"
            )
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


def _gain_cell(row, prefix=None):
    """A paired gain as ``mean [low, high] won/seeds``.

    ``row`` holds ``ccc_gain``, ``ccc_gain_low``, ... or, with ``prefix``,
    ``{prefix}_gain``, ``{prefix}_low``, ``{prefix}_high``, ``{prefix}_wins``;
    and ``n_seeds``, the number of pairs.
    """
    keys = (
        [f"{prefix}_{k}" for k in ("gain", "low", "high", "wins")]
        if prefix
        else ["ccc_gain", "ccc_gain_low", "ccc_gain_high", "ccc_wins"]
    )
    return format_gain(*(row[k] for k in keys), row["n_seeds"])


def _gain_markdown(tables):
    draws = _draw_keys(tables)
    multi = draws != [None]
    rows = tables["table2"]
    cases = list(dict.fromkeys(r["case"] for r in rows))
    lines = [
        "| variant | " + ("draw | " if multi else "") + " | ".join(cases) + " |",
        "| --- |" + (" --- |" if multi else "") + " ---: |" * len(cases),
    ]
    for variant in VARIANTS:
        if variant == "uni-modal":
            continue
        for draw in draws:
            sel = _rows(rows, draw)
            cells = []
            for c in cases:
                r = next(r for r in sel if r["case"] == c and r["variant"] == variant)
                paper = f" ({r['paper_gain']:+.3f})" if draw in (None, POOLED) else ""
                cells.append(_gain_cell(r) + paper)
            draw_cell = f"{draw} | " if multi else ""
            lines.append(f"| {variant} | {draw_cell}" + " | ".join(cells) + " |")
    return "\n".join(lines)


def _budget_markdown(tables):
    draws = _draw_keys(tables)
    multi = draws != [None]
    rows = tables["label_budget"]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    base, others = methods[0], methods[1:]
    lines = [
        "| case | labeled recordings | "
        + ("draw | " if multi else "")
        + f"{base} CCC | "
        + " | ".join(f"{m}: gain [95% CI] won" for m in others)
        + " |",
        "| --- | ---: |" + (" --- |" if multi else "") + " ---: |" * len(methods),
    ]
    keys = list(dict.fromkeys((r["case"], r["labeled_recordings"]) for r in rows))
    for case, budget in keys:
        for draw in draws:
            by = {
                r["method"]: r
                for r in _rows(rows, draw)
                if r["case"] == case and r["labeled_recordings"] == budget
            }
            draw_cell = f"{draw} | " if multi else ""
            lines.append(
                f"| {case} | {budget} | {draw_cell}{by[base]['ccc_mean']:.3f} | "
                + " | ".join(_gain_cell(by[m]) for m in others)
                + " |"
            )
    return "\n".join(lines)


def _time_markdown(tables):
    draws = _draw_keys(tables)
    multi = draws != [None]
    rows = tables["time"]
    draw_head = ("| draw " if multi else "", " --- |" if multi else "")
    lines = [
        f"| case | model {draw_head[0]}| uni-modal CCC | step gain | over Table 2 "
        "| SEW CCC | step gain | over Table 2 | SEW gain over uni-modal |",
        f"| --- | --- |{draw_head[1]} ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in dict.fromkeys(r["case"] for r in rows):
        for model in TIME_MODELS:
            for draw in draws:
                by = {
                    r["method"]: r
                    for r in _rows(rows, draw)
                    if r["case"] == case and r["model"] == model
                }
                cells = []
                for method in TIME_METHODS:
                    r = by[method]
                    cells.append(f"{r['ccc_mean']:.3f}")
                    for prefix in ("step", "total"):
                        empty = r[f"{prefix}_gain"] is None
                        cells.append("" if empty else _gain_cell(r, prefix))
                cells.append(_gain_cell(by["SEW"], "sew"))
                draw_cell = f"{draw} | " if multi else ""
                lines.append(
                    f"| {case} | {model} | {draw_cell}" + " | ".join(cells) + " |"
                )
    post = [r for r in _rows(rows, draws[-1]) if r["model"] == TIME_MODELS[3]]
    lines.append("")
    lines.append(
        "Step gains, each over the row before, same method and seeds: the GRU "
        "head over Table 2's MLP head (both frame-wise), windows of "
        "consecutive frames over single frames (same GRU head, same number of "
        "optimiser steps), post-processing over the raw sequence model; "
        "'over Table 2': over the first row, Table 2's model. "
        f"Post-processing chose (mean over {'draws and ' if multi else ''}seeds) "
        + "; ".join(
            f"{r['case']} {r['method']}: delay {r['delay_s_mean']:.1f} s, "
            f"window {r['window_s_mean']:.1f} s"
            for r in post
        )
        + "."
    )
    return "\n".join(lines)


def paper_report(tables, header, n_seeds):
    """The Markdown of ``results.md``: the header, then every table and note.

    Parameters
    ----------
    tables : dict
        :func:`~sewlearn.experiments.assemble`'s tables, or
        :func:`~sewlearn.experiments.assemble_draws`' (several draws: each
        draw's rows and the pooled ones, with a note on how the pooled
        interval is computed).
    header : str
        The first paragraph (what ran, on which data, how long).
    n_seeds : int
        Seeds per draw.

    Returns
    -------
    str
    """
    draws = tables.get("draws")
    if draws is None:
        table2 = tables["table2"]
        title2 = "mean ± std over seeds"
        pairs = (
            f"paired over seeds (mean [95% CI], seeds won of {n_seeds}); paper's "
            "gain in brackets"
        )
        notes = interval_note(n_seeds)
        title1 = "uni-modal results"
    else:
        table2 = _rows(tables["table2"], POOLED)
        title2 = f"mean ± std over {len(draws)} draws × {n_seeds} seed(s)"
        pairs = (
            f"paired (mean [95% CI], pairs won): per draw over its {n_seeds} "
            f"seed(s), pooled over all {len(draws)} × {n_seeds} (draw, seed) "
            "pairs; paper's gain in brackets"
        )
        notes = (
            f"{interval_note(n_seeds)}\n\n{pooled_interval_note(len(draws), n_seeds)}"
        )
        listed = ", ".join(map(str, draws))
        title1 = f"uni-modal results, per draw (random_state of the data: {listed})"
    report = (
        f"{header}\n\n## Table 1: {title1}\n\n{_table1_markdown(tables)}\n\n"
        f"{STRONGER_NOTE}\n\n"
        f"## Table 2: SEW and ablations ({title2})\n\n{_table2_markdown(table2)}\n\n"
        f"{IDENTICAL_NOTE}\n\n"
        f"## Gain over uni-modal: CCC, {pairs}\n\n{_gain_markdown(tables)}\n\n"
        f"{notes}\n"
    )
    if tables["label_budget"]:
        report += (
            "\n## Label budget: CCC on dev against labeled training recordings\n\n"
            f"{_budget_markdown(tables)}\n"
        )
    if tables["time"]:
        over = (
            f"seeds won of {n_seeds}"
            if draws is None
            else f"pairs won of {n_seeds} per draw and of {len(draws) * n_seeds} pooled"
        )
        report += (
            "\n## Time: frame-wise, sequence and post-processed models (CCC on "
            f"dev; gains paired over seeds, mean [95% CI], {over})\n\n"
            f"{_time_markdown(tables)}\n"
        )
    return report


def write_paper_files(output, report, tables, data, *, plots=True):
    """Write ``results.md``, the CSV tables and the figures into ``output``.

    Into a staging folder first, then renamed into place
    (:func:`~sewlearn.experiments.publish`), so an interrupted run leaves the
    previous results or none. ``data`` is the data set of the traces figure
    (the first case's target, of the first draw). Prints and returns the
    paths written.
    """
    staged = staging(output)
    written = [staged / "results.md"]
    written[0].write_text(report, encoding="utf-8")
    written.append(write_csv(staged / "table1_unimodal.csv", tables["table1"]))
    written.append(write_csv(staged / "table2_ablation.csv", tables["table2"]))
    if tables["label_budget"]:
        written.append(write_csv(staged / "label_budget.csv", tables["label_budget"]))
    if tables["time"]:
        written.append(write_csv(staged / "time_models.csv", tables["time"]))
    if plots:
        last = _draw_keys(tables)[-1]  # one draw, or the pooled rows
        written += _plot(staged, _rows(tables["table2"], last), data, tables["traces"])
        if tables["label_budget"]:
            written += _plot_budget(staged, _rows(tables["label_budget"], last))
    written = publish(output, staged, [path.name for path in written])
    print("Files written:")
    for path in written:
        print(f"  {path}")
    return written


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
    methods = list(dict.fromkeys(r["method"] for r in rows))[1:]
    fig, axes = plt.subplots(1, len(cases), figsize=(5 * len(cases), 3.8))
    for ax, case in zip(np.atleast_1d(axes), cases):
        for method in methods:
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
