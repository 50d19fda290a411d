"""Frame-wise against sequence models (``sequence_length``) on the built-in data.

``make_recola_like`` with ``--n-recordings`` training and development
recordings of ``--n-frames`` frames; the weak modality (standardised on the
training partition) predicts the target with the frame-wise model
(``sequence_length=None``, batch of 32 frames) and with windows of each
length given (batch of ``--windows-per-batch`` windows), uni-modal and with
the strong modality (SEW, ``alignment="ey"``); the same GRU head everywhere.
Gains are paired differences, sequence minus frame-wise of the same kind,
over seeds (same data, same seed), with 95% t intervals and seeds won.

Usage::

    python benchmarks/bench_sequence.py                        # ~30 min, 2 cores
    python benchmarks/bench_sequence.py --target valence --lengths 25 50 100
"""

import argparse
import time

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, __version__, ccc_score, paired_gain
from sewlearn.datasets import make_recola_like


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-recordings", type=int, default=9)
    parser.add_argument("--n-frames", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=8)
    parser.add_argument("--weak", default="audio")
    parser.add_argument("--strong", default="video_geometric")
    parser.add_argument("--target", default="arousal")
    parser.add_argument("--lengths", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--windows-per-batch", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = make_recola_like(
        n_recordings=args.n_recordings,
        n_frames=args.n_frames,
        partitions=("train", "dev"),
        random_state=0,
    )
    train, dev = data.partition == "train", data.partition == "dev"
    scaler = StandardScaler().fit(data.features[args.weak][train])
    X_train = scaler.transform(data.features[args.weak][train])
    X_dev = scaler.transform(data.features[args.weak][dev])
    S_train = data.features[args.strong][train]
    y_train, y_dev = data.targets[args.target][train], data.targets[args.target][dev]
    g_train, g_dev = data.groups[train], data.groups[dev]
    network = dict(
        weak_hidden_layer_sizes=(64,),
        latent_dim=16,
        strong_hidden_layer_sizes=(32,),
        n_cca_components=4,
        alignment="ey",
        head="gru",
        head_hidden_layer_sizes=(32,),
        optimizer="adam",
        lr=1e-3,
        max_epochs=args.max_epochs,
    )
    start = time.perf_counter()
    scores = {}
    for length in [None, *args.lengths]:
        for with_strong in (False, True):
            for seed in args.seeds:
                model = SEWRegressor(
                    sequence_length=length,
                    batch_size=32 if length is None else args.windows_per_batch,
                    random_state=seed,
                    **network,
                )
                fit_params = {"X_strong": S_train} if with_strong else {}
                model.fit(X_train, y_train, groups=g_train, **fit_params)
                score = ccc_score(y_dev, model.predict(X_dev, groups=g_dev))
                scores.setdefault((length, with_strong), []).append(score)
    print(
        f"sewlearn {__version__}; make_recola_like({args.n_recordings} x "
        f"{args.n_frames} frames), {args.target} from {args.weak} "
        f"(+{args.strong}); seeds {args.seeds}; {time.perf_counter() - start:.0f} s"
    )
    print()
    print("| model | frame-wise CCC | " + " | ".join(f"L={n}" for n in args.lengths))
    print("| --- | ---: |" + " ---: |" * len(args.lengths))
    for with_strong in (False, True):
        base = scores[None, with_strong]
        cells = [str(paired_gain(scores[n, with_strong], base)) for n in args.lengths]
        name = "SEW (ey)" if with_strong else "uni-modal"
        print(f"| {name} | {np.mean(base):.3f} | " + " | ".join(cells) + " |")
    print()
    print(f"Dev CCC per seed {tuple(args.seeds)}:")
    print()
    lengths = [None, *args.lengths]
    print("| model | frame-wise | " + " | ".join(f"L={n}" for n in args.lengths) + " |")
    print("| --- |" + " --- |" * len(lengths))
    for with_strong in (False, True):
        name = "SEW (ey)" if with_strong else "uni-modal"
        cells = [" ".join(f"{s:.3f}" for s in scores[n, with_strong]) for n in lengths]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("SEW (ey) minus uni-modal at the same window length (paired over seeds):")
    print()
    print("| frame-wise | " + " | ".join(f"L={n}" for n in args.lengths) + " |")
    print("| ---: |" + " ---: |" * len(args.lengths))
    cells = [str(paired_gain(scores[n, True], scores[n, False])) for n in lengths]
    print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
