"""SEWRegressor.fit against a bare PyTorch loop of the same network, in one run.

The reference loop is written here by hand: the same blocks (weak 632-d
video-geometric, strong 88-d audio, latent 128, the paper's layer sizes, an
MLP head), the same losses (MSE translation, MSE auto-encoding, the Cholesky
CCA objective of ``sewlearn._cca``, MSE prediction), SGD with momentum (the
``foreach`` implementation, as SEWRegressor uses), the same batch order, and
nothing else: no callbacks, no history, one ``.item()``
per epoch. The ratio SEW / bare is the cost of the framework around the maths.

Usage::

    python benchmarks/bench_speed.py                  # CPU, batch 32 and 256
    python benchmarks/bench_speed.py --device cuda --batch-sizes 32 256 2048
    python benchmarks/bench_speed.py --feature-space-cca   # the old CCA route

Prints a Markdown table: median epoch time over ``--repeats`` runs, samples per
second, the ratio, ``predict`` time on all samples beside the time of the same
matrix products alone (the compute floor of this machine), and peak memory. On
a GPU it also counts the operations that synchronise the device with the host
during one epoch of ``SEWRegressor.fit`` (``torch.cuda.set_sync_debug_mode``).
"""

import argparse
import platform
import resource
import statistics
import time
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import sewlearn._cca
from sewlearn import SEWRegressor
from sewlearn._cca import cca_loss
from sewlearn._net import PREDICT_CHUNK

N_WEAK, N_STRONG, LATENT = 632, 88, 128


def _mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(nn.Tanh())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


def bare_epoch(X, Xs, y, batch_size, device, seed):
    """One epoch of the hand-written loop; returns seconds."""
    torch.manual_seed(seed)
    w_e = _mlp([N_WEAK, 512, 256, LATENT])
    r = nn.Sequential(nn.Tanh(), _mlp([LATENT, 120, 1]))
    s_d1 = _mlp([LATENT, 108, N_STRONG])
    s_e = _mlp([N_STRONG, 108, LATENT])
    s_d2 = _mlp([LATENT, 108, N_STRONG])
    blocks = nn.ModuleList([w_e, r, s_d1, s_e, s_d2]).to(device)
    opt = torch.optim.SGD(
        blocks.parameters(), lr=1e-3, momentum=0.7, weight_decay=1e-4, foreach=True
    )
    X, Xs, y = (torch.from_numpy(a).to(device) for a in (X, Xs, y))
    _sync(device)
    start = time.perf_counter()
    order = torch.randperm(len(X)).to(device)
    total = torch.zeros((), device=device)
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size]
        xw, xs, yb = X[idx], Xs[idx], y[idx]
        code_w = w_e(xw)
        code_s = s_e(xs)
        loss = (
            F.mse_loss(s_d1(code_w), xs)
            + F.mse_loss(s_d2(code_s), xs)
            + cca_loss(code_s, code_w, n_components=10, r1=1e-3, r2=1e-3)
            + F.mse_loss(r(code_w), yb)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.detach()
    total.item()
    _sync(device)
    return time.perf_counter() - start


def sew_epoch(X, Xs, y, batch_size, device, seed):
    """One epoch of SEWRegressor.fit with the same settings; returns (s, model)."""
    # n_threads=None: the threads of --threads, as the bare loop's.
    sew = SEWRegressor(
        batch_size=batch_size,
        max_epochs=1,
        device=device,
        n_threads=None,
        random_state=seed,
    )
    _sync(device)
    start = time.perf_counter()
    sew.fit(X, y, X_strong=Xs)
    _sync(device)
    return time.perf_counter() - start, sew


def matmul_floor(sew, X, device):
    """Seconds for the deployed network's matrix products alone, same chunks."""
    layers = [m for m in sew.module_.modules() if isinstance(m, nn.Linear)]
    weights = [(m.weight.detach().T.contiguous(), m.bias.detach()) for m in layers]
    X = torch.from_numpy(X).to(device)
    _sync(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(X), PREDICT_CHUNK):
            h = X[i : i + PREDICT_CHUNK]
            for w, b in weights:
                h = torch.addmm(b, h, w)
    _sync(device)
    flops = 2 * len(X) * sum(w.numel() for w, _ in weights)
    return time.perf_counter() - start, flops


def bare_forward(sew, X, device):
    """Seconds for the fitted network on all rows, called directly, same chunks."""
    X = torch.from_numpy(X).to(device)
    _sync(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(X), PREDICT_CHUNK):
            sew.module_(X[i : i + PREDICT_CHUNK]).cpu()
    _sync(device)
    return time.perf_counter() - start


def count_syncs(X, Xs, y, batch_size, device):
    """Synchronising CUDA operations during one epoch of SEWRegressor.fit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            sew_epoch(X, Xs, y, batch_size, device, 0)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    where = sorted({str(w.message).splitlines()[0][:80] for w in syncs})
    return len(syncs), where


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=67_500)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: torch's own choice)",
    )
    parser.add_argument(
        "--feature-space-cca",
        action="store_true",
        help="always take the d x d route of the CCA loss (the only one before)",
    )
    args = parser.parse_args()
    if args.feature_space_cca:
        sewlearn._cca._SAMPLE_SPACE_MAX_RATIO = 0.0
    if args.threads:
        torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.samples, N_WEAK)).astype(np.float32)
    Xs = rng.normal(size=(args.samples, N_STRONG)).astype(np.float32)
    y = rng.uniform(-1, 1, size=(args.samples, 1)).astype(np.float32)

    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, "
        f"device {args.device}, {args.samples} samples, median of {args.repeats}, "
        f"CCA route: {'feature space' if args.feature_space_cca else 'auto'}"
    )
    print()
    print("| batch | bare epoch (s) | SEW epoch (s) | SEW / bare | SEW samples/s |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    # Warm up both paths (thread pools, kernels, lazy imports) before timing.
    bare_epoch(X[:512], Xs[:512], y[:512], 32, args.device, 0)
    sew_epoch(X[:512], Xs[:512], y[:512, 0], 32, args.device, 0)
    sew = None
    for bs in args.batch_sizes:
        bare, ours = [], []
        for rep in range(args.repeats):
            # Alternate the order so that drifts of a shared machine hit both.
            if rep % 2:
                bare.append(bare_epoch(X, Xs, y, bs, args.device, rep))
                t, sew = sew_epoch(X, Xs, y[:, 0], bs, args.device, rep)
                ours.append(t)
            else:
                t, sew = sew_epoch(X, Xs, y[:, 0], bs, args.device, rep)
                ours.append(t)
                bare.append(bare_epoch(X, Xs, y, bs, args.device, rep))
        b, s = statistics.median(bare), statistics.median(ours)
        print(f"| {bs} | {b:.2f} | {s:.2f} | {s / b:.2f} | {args.samples / s:,.0f} |")

    times, direct, floors = [], [], []
    for _ in range(max(3, args.repeats)):
        start = time.perf_counter()
        sew.predict(X)
        times.append(time.perf_counter() - start)
        direct.append(bare_forward(sew, X, args.device))
        seconds, flops = matmul_floor(sew, X, args.device)
        floors.append(seconds)
    t, d, f = (statistics.median(v) for v in (times, direct, floors))
    print()
    print(
        f"predict on {args.samples} samples: {t:.3f} s (median); the same network "
        f"called directly: {d:.3f} s (predict / direct = {t / d:.2f}); its matrix "
        f"products alone ({flops / 1e9:.1f} GFLOP): {f:.3f} s, "
        f"{flops / f / 1e9:.0f} GFLOP/s (predict / products = {t / f:.2f})"
    )
    if torch.device(args.device).type == "cuda":
        for bs in args.batch_sizes:
            n, where = count_syncs(X, Xs, y[:, 0], bs, args.device)
            batches = -(-args.samples // bs)
            print(
                f"batch {bs}: {n} synchronising operations in one epoch of "
                f"{batches} batches (including fit's set-up and predict-free "
                f"wrap-up): {where}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")
    if torch.device(args.device).type == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
