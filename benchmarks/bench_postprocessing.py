"""What each step of the post-processing chain adds, on the built-in data.

``make_recola_like(n_recordings=9, n_frames=3000)`` (one draw per seed),
fitted on the training partition, CCC over the development recordings joined
together. Each step is a separate ``PostProcessedRegressor`` fit whose grid
switches the later steps off: ``delays=(0,), windows=(1,)`` gives "+ scale",
``windows=(1,)`` "+ delay", the defaults "+ smoothing". Each gain is a paired
difference to the step before over seeds, with its 95% t interval and the
seeds won. The regressor is ``StandardScaler`` + ``Ridge(alpha=100)``;
``--sew`` uses a small SEWRegressor (video-geometric for arousal, audio as
the strong modality) instead.

Usage::

    python benchmarks/bench_postprocessing.py              # ~10 min on 2 cores
    python benchmarks/bench_postprocessing.py --sew --seeds 0 1 2 --n-frames 1500
"""

import argparse

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, __version__, ccc_score, paired_gain
from sewlearn.datasets import make_recola_like
from sewlearn.postprocessing import PostProcessedRegressor

STEPS = {
    "raw": None,
    "+ scale": dict(delays=(0,), windows=(1,)),
    "+ delay": dict(windows=(1,)),
    "+ smoothing": {},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-frames", type=int, default=3000)
    parser.add_argument("--sew", action="store_true")
    args = parser.parse_args()
    tasks = (
        [("arousal", "video_geometric", "audio")]
        if args.sew
        else [("arousal", "audio", None), ("valence", "video_geometric", None)]
    )
    rows = []
    for target, weak, strong in tasks:
        scores = {name: [] for name in STEPS}
        for seed in args.seeds:
            data = make_recola_like(
                n_recordings=9,
                n_frames=args.n_frames,
                partitions=("train", "dev"),
                random_state=seed,
            )
            train, dev = data.partition == "train", data.partition == "dev"
            X, y, groups = data.features[weak], data.targets[target], data.groups
            fit_params = {}
            if strong is None:
                base = make_pipeline(StandardScaler(), Ridge(alpha=100.0))
            else:
                sew = SEWRegressor(
                    weak_hidden_layer_sizes=(128,),
                    strong_hidden_layer_sizes=(32,),
                    latent_dim=32,
                    optimizer="adam",
                    batch_size=256,
                    max_epochs=5,
                    random_state=seed,
                )
                base = make_pipeline(StandardScaler(), sew)
                fit_params["sewregressor__X_strong"] = data.features[strong][train]
            for name, grid in STEPS.items():
                if grid is None:
                    model = base.fit(X[train], y[train], **fit_params)
                    y_pred = model.predict(X[dev])
                else:
                    model = PostProcessedRegressor(base, **grid)
                    model.fit(X[train], y[train], groups=groups[train], **fit_params)
                    y_pred = model.predict(X[dev], groups=groups[dev])
                scores[name].append(ccc_score(y[dev], y_pred))
        cells, previous = [], None
        for name, values in scores.items():
            gain = "" if previous is None else f" ({paired_gain(values, previous)})"
            cells.append(f"{np.mean(values):.3f}{gain}")
            previous = values
        rows.append(f"| {target} from {weak} | " + " | ".join(cells) + " |")
    print(f"sewlearn {__version__}; seeds {args.seeds}; {args.n_frames} frames")
    print()
    print("| task | " + " | ".join(STEPS) + " |")
    print("| --- |" + " ---: |" * len(STEPS))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
