"""Deployed SEW network: predict (torch via scikit-learn), torch alone, onnxruntime.

The paper-sized deployed network (weak encoder 632 -> 512 -> 256 -> 128, then
the MLP head 128 -> 120 -> 1 or the four single-step GRU layers of 120 of the
paper's section 4.2) is fitted for one epoch (the weights do not change the
timings), then run three ways on the same rows, in one process:

* ``predict``: ``SEWRegressor.predict``, scikit-learn's validation then torch;
* ``torch``: the deployed module alone, ``module_(torch.from_numpy(x))`` in
  ``torch.inference_mode()``;
* ``onnxruntime``: the graph of ``sewlearn.onnx.to_onnx``, one
  ``InferenceSession.run``.

For each: the median latency of one frame (one row) over ``--calls`` calls,
after warm-up, and the median time of 67,500 rows (RECOLA's 9 training
recordings of 7,500 frames) over ``--repeats`` runs, as rows per second; and
the size of the ONNX file. With ``--sequence`` it also times the streaming
graph of a sequence model (``sequence_length=25``) frame by frame against
``predict`` of the window that ends at the frame.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_deploy.py            # 1 thread
    python benchmarks/bench_deploy.py --threads 2 --calls 2000

Prints a Markdown table. Every method gets the same number of threads
(``torch.set_num_threads`` and onnxruntime's ``intra_op_num_threads``).
"""

import argparse
import os
import platform
import statistics
import tempfile
import time
import warnings

import numpy as np
import onnxruntime as ort
import torch

import sewlearn
from sewlearn import SEWRegressor
from sewlearn.onnx import to_onnx, to_onnx_streaming

N_WEAK, N_STRONG = 632, 88
N_ROWS = 67_500


def _median_seconds(f, n, warmup=20):
    for _ in range(warmup):
        f()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fit(head, threads, sequence_length=None):
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.normal(size=(n, N_WEAK)).astype(np.float32)
    X_strong = rng.normal(size=(n, N_STRONG)).astype(np.float32)
    y = X[:, 0] + 0.1 * rng.normal(size=n)
    params = dict(max_epochs=1, batch_size=256, optimizer="adam", random_state=0)
    if head == "gru":
        params.update(head="gru", head_hidden_layer_sizes=(120,) * 4)
    groups = None
    if sequence_length is not None:
        params["sequence_length"] = sequence_length
        groups = np.repeat(np.arange(n // 500), 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CCA saturation warning
        return SEWRegressor(**params).fit(X, y, X_strong=X_strong, groups=groups)


def _session(model, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def bench(head, threads, calls, repeats):
    sew = _fit(head, threads)
    model = to_onnx(sew)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sew.onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        size = os.path.getsize(path)
    session = _session(model, threads)
    module = sew.module_
    X = np.random.default_rng(1).normal(size=(N_ROWS, N_WEAK)).astype(np.float32)
    frame = X[:1]

    def torch_run(rows):
        with torch.inference_mode():
            return module(torch.from_numpy(rows)).numpy()

    runs = {
        "predict": lambda rows: sew.predict(rows),
        "torch": torch_run,
        "onnxruntime": lambda rows: session.run(None, {"X": rows})[0],
    }
    np.testing.assert_allclose(
        runs["onnxruntime"](X[:1000]).ravel(),
        sew.predict(X[:1000]),
        rtol=1e-4,
        atol=1e-5,
    )
    rows = []
    for name, run in runs.items():
        latency = _median_seconds(lambda: run(frame), calls)
        batch = _median_seconds(lambda: run(X), repeats, warmup=1)
        rows.append((head, name, latency * 1e6, N_ROWS / batch))
    return rows, size


def bench_streaming(threads, calls, length=25):
    sew = _fit("gru", threads, sequence_length=length)
    session = _session(to_onnx_streaming(sew), threads)
    X = np.random.default_rng(2).normal(size=(length, N_WEAK)).astype(np.float32)
    latent = sew.module_.weak_encoder[-1].out_features
    state = np.zeros((1, 0, latent), np.float32)
    for t in range(length - 1):  # a full state: the steady regime
        _, state = session.run(None, {"X": X[None, t : t + 1], "state": state})
    step = {"X": X[None, -1:], "state": state}
    onnx_latency = _median_seconds(lambda: session.run(None, step), calls)
    # predict's equivalent for the new frame: the window that ends at it.
    predict_latency = _median_seconds(lambda: sew.predict(X), calls)
    return [
        (f"gru, L={length}", "predict (window)", predict_latency * 1e6, float("nan")),
        (f"gru, L={length}", "onnxruntime stream", onnx_latency * 1e6, float("nan")),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--heads", nargs="+", default=["mlp", "gru"])
    parser.add_argument("--sequence", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(
        f"sewlearn {sewlearn.__version__}, torch {torch.__version__}, onnxruntime "
        f"{ort.__version__}, {platform.processor() or platform.machine()}, "
        f"{args.threads} thread(s), OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}\n"
    )
    table, sizes = [], {}
    for head in args.heads:
        rows, sizes[head] = bench(head, args.threads, args.calls, args.repeats)
        table += rows
    if args.sequence:
        table += bench_streaming(args.threads, args.calls)
    print("| head | method | one frame (median, µs) | 67,500 rows (rows/s) |")
    print("|---|---|---:|---:|")
    for head, name, latency, throughput in table:
        rate = "" if np.isnan(throughput) else f"{throughput:,.0f}"
        print(f"| {head} | {name} | {latency:,.0f} | {rate} |")
    print()
    for head, size in sizes.items():
        print(f"ONNX file, {head} head: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
