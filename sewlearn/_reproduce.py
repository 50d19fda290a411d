# License: BSD 3 clause
"""``sewlearn reproduce``: the paper's experiments end to end (Tables 1 and 2).

Only the public API is used (``SEWRegressor``, ``ccc_score``,
``binary_accuracy_score`` and ``sewlearn.datasets``), so this module is also
the worked example of how to use the package.
"""

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, __version__, binary_accuracy_score, ccc_score
from sewlearn.datasets import load_avec2016, make_recola_like

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

# Encoder hidden layers per modality (section 4.3): video-geometric
# [512, 256, latent], audio [108, latent], video-appearance one linear layer.
HIDDEN = {"audio": (108,), "video_geometric": (512, 256), "video_appearance": ()}

# Run sizes. "quick" fits the whole run in about 6 minutes on 2 CPU cores:
# fewer and shorter recordings, every 2nd frame, Adam and fewer epochs.
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
    ),
}


def latent_dim(*modalities):
    """168 when video-appearance takes part (section 4.3), else 128."""
    return 168 if "video_appearance" in modalities else 128


def make_model(weak, strong, variant, *, seed, settings, device):
    """A StandardScaler + SEWRegressor pipeline with the paper's architecture."""
    weights = VARIANTS[variant] or {}
    sew = SEWRegressor(
        weak_hidden_layer_sizes=HIDDEN[weak],
        strong_hidden_layer_sizes=HIDDEN[strong] if strong else (108,),
        latent_dim=latent_dim(weak, strong) if strong else latent_dim(weak),
        optimizer=settings["optimizer"],
        lr=settings["lr"],
        batch_size=settings["batch_size"],
        max_epochs=settings["max_epochs"],
        device=device,
        random_state=seed,
        **weights,
    )
    return make_pipeline(StandardScaler(), sew)


def evaluate(model, data, weak, target, strong=None):
    """Fit on the train partition (with X_strong if given), score on dev."""
    train, dev = data.partition == "train", data.partition == "dev"
    fit_params = {}
    if strong is not None:
        fit_params["sewregressor__X_strong"] = data.features[strong][train]
    model.fit(data.features[weak][train], data.targets[target][train], **fit_params)
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


def _progress(total, enabled):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with skorch
        return None
    return tqdm(total=total, desc="runs", disable=not enabled, file=sys.stderr)


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
):
    """Run Tables 1 and 2; write Markdown, CSV and PNG files into ``output``.

    Returns a dict with the two tables as lists of row dicts.
    """
    settings = dict(PRESETS[preset])
    for key, value in dict(
        seeds=seeds, max_epochs=max_epochs, n_recordings=n_recordings, n_frames=n_frames
    ).items():
        if value is not None:
            settings[key] = value
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)

    if avec_root is not None:
        # AVEC 2016 ships separate features for arousal and for valence.
        data = {
            t: _subsample(
                load_avec2016(avec_root, target=t, partitions=("train", "dev")),
                settings["frame_step"],
            )
            for t in TARGETS
        }
        source = f"AVEC 2016 features from {avec_root}"
    else:
        synthetic = make_recola_like(
            n_recordings=settings["n_recordings"],
            n_frames=settings["n_frames"],
            partitions=("train", "dev"),
            random_state=random_state,
        )
        data = dict.fromkeys(TARGETS, _subsample(synthetic, settings["frame_step"]))
        source = (
            f"make_recola_like(n_recordings={settings['n_recordings']}, "
            f"n_frames={settings['n_frames']}, random_state={random_state})"
        )
    seed_list = [random_state + i for i in range(settings["seeds"])]

    n_runs = len(MODALITIES) * len(TARGETS) + len(CASES) * len(VARIANTS) * len(
        seed_list
    )
    bar = _progress(n_runs, progress)
    start = time.perf_counter()

    # Table 1: uni-modal CCC and accuracy of every modality for both targets.
    table1 = []
    for target in TARGETS:
        for modality in MODALITIES:
            model = make_model(
                modality,
                None,
                "uni-modal",
                seed=random_state,
                settings=settings,
                device=device,
            )
            ccc, acc, _ = evaluate(model, data[target], modality, target)
            table1.append(dict(target=target, modality=modality, ccc=ccc, acc=acc))
            if bar is not None:
                bar.update()
    stronger = {
        t: max((r for r in table1 if r["target"] == t), key=lambda r: r["ccc"])[
            "modality"
        ]
        for t in TARGETS
    }

    # Table 2: SEW and its ablations for the paper's five cases, over seeds.
    table2, traces = [], {}
    for target, weak, strong in CASES:
        for variant, weights in VARIANTS.items():
            cccs, accs = [], []
            for seed in seed_list:
                model = make_model(
                    weak, strong, variant, seed=seed, settings=settings, device=device
                )
                ccc, acc, y_pred = evaluate(
                    model,
                    data[target],
                    weak,
                    target,
                    None if weights is None else strong,
                )
                cccs.append(ccc)
                accs.append(acc)
                if (target, weak, strong) == CASES[0] and seed == seed_list[0]:
                    traces[variant] = y_pred
                if bar is not None:
                    bar.update()
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
                )
            )
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - start

    header = (
        f"sewlearn {__version__} reproduce ({preset}); data: {source}; "
        f"{len(seed_list)} seed(s), {settings['max_epochs']} epochs, "
        f"{settings['optimizer']} lr={settings['lr']}, batch "
        f"{settings['batch_size']}; dev partition; {elapsed:.0f} s"
    )
    md1 = _table1_markdown(table1, stronger)
    md2 = _table2_markdown(table2)
    report = f"{header}\n\n## Table 1: uni-modal results\n\n{md1}\n\n" + (
        f"## Table 2: SEW and ablations (mean ± std over seeds)\n\n{md2}\n"
    )
    print(report)
    (output / "results.md").write_text(report, encoding="utf-8")
    _write_csv(output / "table1_unimodal.csv", table1)
    _write_csv(output / "table2_ablation.csv", table2)
    if plots:
        _plot(output, table2, data[CASES[0][0]], traces)
    return {"table1": table1, "table2": table2, "stronger": stronger}


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


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _plot(output, table2, data, traces):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures (pip install 'sewlearn[plot]').")
        return
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
    fig, ax = plt.subplots(figsize=(11, 3.5))
    t = data.time[dev][first]
    ax.plot(
        t, data.targets[target][dev][first], color="k", lw=1.5, label="gold standard"
    )
    for variant in ("uni-modal", "SEW"):
        ax.plot(
            t, traces[variant][first], lw=1, label=f"{variant} ({SHORT[weak]} only)"
        )
    ax.set_xlabel("time (s)")
    ax.set_ylabel(target)
    ax.set_title(f"{data.groups[dev][0]}: {SHORT[weak]}(+{SHORT[strong]}) for {target}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(output / "traces.png", dpi=110)
    plt.close(fig)


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
    args = parser.parse_args(argv)
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
    )
    return 0
