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
saturation).

Usage::

    python benchmarks/bench_cca_ridge.py
    python benchmarks/bench_cca_ridge.py --ridges 1e-3 1e-1 1 --seeds 3
    python benchmarks/bench_cca_ridge.py --batch-size 256 --max-epochs 24
"""

import argparse
import statistics
import time

from sewlearn import paired_gain
from sewlearn._reproduce import CASES, PRESETS, built_in_data, evaluate, make_model


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
    print(
        "| case | variant | dev CCC | gain over uni-modal [95% CI], won "
        "| gain over -CCA | last train alignment loss |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    start = time.perf_counter()
    for case in args.cases:
        target, weak, strong = CASES[case]
        label = f"{target}: {weak}(+{strong})"
        runs = [("uni-modal", "uni-modal", {}), ("-CCA", "-CCA", {})] + [
            (f"SEW r={r:g}", "SEW", {"r1": r, "r2": r}) for r in args.ridges
        ]
        per_variant = {}
        for name, variant, params in runs:
            ccc, align = [], []
            for seed in range(args.seeds):
                uni = variant == "uni-modal"
                model = make_model(
                    weak,
                    None if uni else strong,
                    variant,
                    seed=seed,
                    settings=settings,
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
            per_variant.setdefault(variant, ccc)
            # Over uni-modal for every variant but itself; over "-CCA" for SEW.
            references = {"uni-modal": [], "-CCA": ["uni-modal"]}.get(
                variant, ["uni-modal", "-CCA"]
            )
            gains = [
                str(paired_gain(ccc, per_variant[ref])) if ref in references else "-"
                for ref in ("uni-modal", "-CCA")
            ]
            loss = f"{statistics.mean(align):.3f}" if align else "-"
            print(
                f"| {label} | {name} | {statistics.mean(ccc):.3f} | "
                f"{gains[0]} | {gains[1]} | {loss} |"
            )
    print()
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
