"""DeepCCA against linear CCA (and cca-zoo's DCCA) on two halves of digit images.

The protocol of Andrew et al. (2013) on MNIST halves, on the 8x8 digits that
scikit-learn ships: view 1 is the left half of each image (8 x 4 pixels),
view 2 the right half. Each method is fitted on a training split; the score
is the held-out *total correlation*, the sum of the correlations of the top
``K`` pairs of canonical variates on the test split, computed by one function
(``heldout_total_correlation``) from each method's test variates:

- sklearn's ``CCA``: its ``transform``;
- ``DeepCCA``: its ``transform`` (a linear CCA of the training codes, fitted
  inside ``fit``);
- ``DeepCCA(objective="ey")``: the same, trained with the Eckart-Young loss;
- cca-zoo's ``DCCA`` and ``DCCAEY`` (when importable): the same encoders, and
  a linear CCA of their training codes (cca-zoo's own ``cca_zoo.linear.CCA``,
  as its documentation does).

The deep models train the same networks (tanh, two hidden layers) with Adam
at the same learning rate, batch size and number of epochs; their losses
differ (sewlearn "cca": minus the sum of the top ``K`` canonical
correlations; cca-zoo 4 ``DCCA``: minus the sum of *squared* correlations of
all outputs; "ey" and ``DCCAEY``: the Eckart-Young loss, cca-zoo's version
with the auto-covariances also in its reward term and ``tr(V V)`` from the
same batch). Medians over a few seeds (split and initialisation), for each
batch size given.

Usage::

    python benchmarks/bench_deepcca.py                 # a few minutes on 2 cores
    python benchmarks/bench_deepcca.py --batch-sizes 32 128 --epochs 50
"""

import argparse
import contextlib
import functools
import io
import logging
import os
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.cross_decomposition import CCA
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sewlearn._deepcca import DeepCCA
from sewlearn._modules import make_mlp


def heldout_total_correlation(X_c, Y_c, k):
    """Sum of the correlations of the first ``k`` pairs of test canonical variates."""
    X_c = np.asarray(X_c)[:, :k]
    Y_c = np.asarray(Y_c)[:, :k]
    X_c = X_c - X_c.mean(axis=0)
    Y_c = Y_c - Y_c.mean(axis=0)
    num = (X_c * Y_c).sum(axis=0)
    den = np.sqrt((X_c**2).sum(axis=0) * (Y_c**2).sum(axis=0))
    return float(np.sum(num / np.where(den > 0, den, 1.0)))


def load_halves():
    """Digits as two views: the left and the right 8 x 4 halves of each image."""
    images = load_digits().images
    left = images[:, :, :4].reshape(len(images), -1)
    right = images[:, :, 4:].reshape(len(images), -1)
    return left, right


def run_linear(Xtr, Ytr, Xte, Yte, args, seed):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cca = CCA(n_components=args.k, max_iter=2000).fit(Xtr, Ytr)
    seconds = time.perf_counter() - start
    return heldout_total_correlation(*cca.transform(Xte, Yte), args.k), seconds


def run_sewlearn(Xtr, Ytr, Xte, Yte, args, seed, objective="cca"):
    dcca = DeepCCA(
        objective=objective,
        n_components=args.k,
        x_hidden_layer_sizes=args.hidden,
        y_hidden_layer_sizes=args.hidden,
        latent_dim=args.k,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        random_state=seed,
    )
    start = time.perf_counter()
    dcca.fit(Xtr, Ytr)
    seconds = time.perf_counter() - start
    return heldout_total_correlation(*dcca.transform(Xte, Yte), args.k), seconds


def cca_zoo_available():
    try:
        import lightning.pytorch  # noqa: F401
        from cca_zoo.deep import DCCA  # noqa: F401
        from cca_zoo.linear import CCA as _  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def run_cca_zoo(Xtr, Ytr, Xte, Yte, args, seed, model_name="DCCA"):
    import lightning.pytorch as pl
    from cca_zoo import deep
    from cca_zoo.deep import MultiviewDataset
    from cca_zoo.linear import CCA as ZooCCA
    from torch.utils.data import DataLoader

    # sewlearn's DeepCCA standardises both views inside fit; do it here too.
    sx, sy = StandardScaler().fit(Xtr), StandardScaler().fit(Ytr)
    Xtr, Xte = sx.transform(Xtr), sx.transform(Xte)
    Ytr, Yte = sy.transform(Ytr), sy.transform(Yte)
    start = time.perf_counter()
    torch.manual_seed(seed)
    encoders = [
        make_mlp([Xtr.shape[1], *args.hidden, args.k], "tanh"),
        make_mlp([Ytr.shape[1], *args.hidden, args.k], "tanh"),
    ]
    model = getattr(deep, model_name)(
        n_components=args.k, encoders=encoders, learning_rate=args.lr
    )
    loader = DataLoader(
        MultiviewDataset([Xtr, Ytr]), batch_size=args.batch_size, shuffle=True
    )
    trainer = pl.Trainer(
        max_epochs=args.epochs,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(model, loader)
    model.eval()

    def encode(*views):
        with torch.no_grad():
            codes = model([torch.as_tensor(v, dtype=torch.float32) for v in views])
        return [c.numpy().astype(np.float64) for c in codes]

    codes_tr, codes_te = encode(Xtr, Ytr), encode(Xte, Yte)
    linear = ZooCCA(n_components=args.k).fit(codes_tr)
    seconds = time.perf_counter() - start
    return heldout_total_correlation(*linear.transform(codes_te), args.k), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10, help="canonical pairs summed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch and BLAS threads, for every method (one is fastest for these "
        "small networks, and steady on a shared machine)",
    )
    args = parser.parse_args()
    # The same threads for torch and for numpy's BLAS (sklearn's CCA).
    torch.set_num_threads(args.threads)
    threadpool_limits(limits=args.threads)

    left, right = load_halves()
    methods = {
        "sklearn CCA (linear)": run_linear,
        "sewlearn DeepCCA": run_sewlearn,
        "sewlearn DeepCCA (ey)": functools.partial(run_sewlearn, objective="ey"),
    }
    missing = cca_zoo_available()
    if missing is None:
        methods["cca-zoo DCCA"] = run_cca_zoo
        methods["cca-zoo DCCAEY"] = functools.partial(run_cca_zoo, model_name="DCCAEY")
        # Lightning sets its loggers to INFO on import: silence its banners.
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).setLevel(logging.ERROR)
    else:
        print(f"cca-zoo's DCCA skipped: {missing}")

    n_train = len(train_test_split(left, test_size=0.3, random_state=0)[0])
    print(
        f"Digits halves (left 32 px vs right 32 px), {n_train} train / "
        f"{len(left) - n_train} test; K={args.k}; deep nets "
        f"{'-'.join(map(str, args.hidden))} tanh, output {args.k}, Adam lr={args.lr}, "
        f"{args.epochs} epochs; median over seeds {args.seeds}."
    )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__} ({args.threads} thread(s)), scikit-learn "
        f"{sklearn.__version__}, Python {platform.python_version()}."
    )
    table = []
    for batch_size in args.batch_sizes:
        args.batch_size = batch_size
        results = {name: ([], []) for name in methods}
        for seed in args.seeds:
            Xtr, Xte, Ytr, Yte = train_test_split(
                left, right, test_size=0.3, random_state=seed
            )
            for name, run in methods.items():
                corr, seconds = run(Xtr, Ytr, Xte, Yte, args, seed)
                results[name][0].append(corr)
                results[name][1].append(seconds)
                print(
                    f"batch {batch_size} seed {seed}  {name:<24} corr {corr:6.3f}  "
                    f"fit {seconds:6.2f} s"
                )
        for name, (corrs, times) in results.items():
            table.append(
                f"| {batch_size} | {name} | {statistics.median(corrs):.2f} "
                f"(min {min(corrs):.2f}, max {max(corrs):.2f}) | "
                f"{statistics.median(times):.1f} |"
            )
    print()
    print(f"| batch | method | held-out sum of top-{args.k} correlations | fit (s) |")
    print("|---:|---|---:|---:|")
    print("\n".join(table))


if __name__ == "__main__":
    main()
