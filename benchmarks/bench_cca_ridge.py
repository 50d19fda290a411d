"""Is the batch CCA term informative? SEW against "-CCA" for several ridges.

At the paper's setting (batch 32 < latent 128, r1 = r2 = 1e-3) the canonical
correlations of a batch are all close to 1 whatever the codes (see the user
guide), so the alignment loss passes little gradient and SEW trains almost
like its "-CCA" ablation. This script measures it on the built-in RECOLA-like
data with the quick preset of ``sewlearn reproduce``: for two of the paper's
cases it fits the uni-modal network, "-CCA" (gamma = 0) and SEW with r1 = r2
in ``--ridges``, and prints the development CCC (mean over seeds), the gain
over the uni-modal network and, for SEW, over "-CCA" as paired differences
over seeds (same data, same seed; 95% t interval, seeds won) and the training
alignment loss of the last epoch (``-n_cca_components`` = -10 is
saturation). With ``--batch-size`` or ``--max-epochs``, the uni-modal network
of the quick preset (batch 32, 6 epochs) is fitted too, and every row's gain
over it is paired as well.

Usage::

    python benchmarks/bench_cca_ridge.py
    python benchmarks/bench_cca_ridge.py --ridges 1e-3 1e-1 1 --seeds 3
    python benchmarks/bench_cca_ridge.py --batch-size 256 --max-epochs 24
"""

import argparse
import statistics
import time

from sewlearn import paired_gain
from sewlearn.experiments import CASES, PRESETS, built_in_data, evaluate, make_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ridges", type=float, nargs="+", default=[1e-3, 1e-1, 1.0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cases", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--max-epochs", type=int, default=None)
    args = parser.parse_args()
    settings = dict(PRESETS["quick"])
    if args.batch_size:
        settings["batch_size"] = args.batch_size
    if args.max_epochs:
        settings["max_epochs"] = args.max_epochs
    data = built_in_data(settings)
    print(
        f"quick preset: {settings['n_recordings']} recordings x "
        f"{settings['n_frames']} frames, step {settings['frame_step']}, "
        f"{settings['max_epochs']} epochs, {settings['optimizer']}, "
        f"batch {settings['batch_size']}; {args.seeds} seeds"
    )
    print()
    # With another batch size or epoch count, the uni-modal network of the
    # preset itself (batch 32, 6 epochs) is a reference too: is the new
    # setting better than the best plain one?
    preset = dict(PRESETS["quick"])
    references = ["uni-modal", "-CCA"] + (["preset"] if settings != preset else [])
    titles = {
        "uni-modal": "gain over uni-modal [95% CI], won",
        "-CCA": "gain over -CCA",
        "preset": f"gain over uni-modal at batch {preset['batch_size']}, "
        f"{preset['max_epochs']} epochs",
    }
    print(
        "| case | variant | dev CCC | "
        + " | ".join(titles[r] for r in references)
        + " | last train alignment loss |"
    )
    print("| --- | --- | ---: |" + " ---: |" * (len(references) + 1))
    start = time.perf_counter()
    for case in args.cases:
        target, weak, strong = CASES[case]
        label = f"{target}: {weak}(+{strong})"
        # (row name, key, variant of make_model, SEW parameters, settings)
        runs = [
            ("uni-modal", "uni-modal", "uni-modal", {}, settings),
            ("-CCA", "-CCA", "-CCA", {}, settings),
        ] + [
            (f"SEW r={r:g}", "SEW", "SEW", {"r1": r, "r2": r}, settings)
            for r in args.ridges
        ]
        if "preset" in references:
            runs.insert(
                0, ("uni-modal, quick preset", "preset", "uni-modal", {}, preset)
            )
        scores = {}
        for name, key, variant, params, run_settings in runs:
            ccc, align = [], []
            for seed in range(args.seeds):
                uni = variant == "uni-modal"
                model = make_model(
                    weak,
                    None if uni else strong,
                    variant,
                    seed=seed,
                    settings=run_settings,
                    device="cpu",
                )
                model.set_params(**{f"sewregressor__{k}": v for k, v in params.items()})
                score, _, _ = evaluate(
                    model, data, weak, target, None if uni else strong
                )
                ccc.append(score)
                history = model[-1].history_
                if "train_alignment_loss" in history[-1]:
                    align.append(history[-1, "train_alignment_loss"])
            scores.setdefault(key, ccc)
            # Over uni-modal and the preset for every variant but themselves;
            # over "-CCA" for SEW only.
            against = {
                "preset": [],
                "uni-modal": ["preset"],
                "-CCA": ["uni-modal", "preset"],
            }.get(key, references)
            cells = [
                str(paired_gain(ccc, scores[ref])) if ref in against else "-"
                for ref in references
            ]
            loss = f"{statistics.mean(align):.3f}" if align else "-"
            print(
                f"| {label} | {name} | {statistics.mean(ccc):.3f} | "
                + " | ".join(cells)
                + f" | {loss} |"
            )
    print()
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
