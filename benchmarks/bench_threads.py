"""torch's intra-op threads in SEWRegressor: 1 against 2, quiet and busy.

The estimators' ``n_threads`` parameter (issue 23) sets torch's intra-op
threads for each ``fit`` and ``predict``. This benchmark measures what it is
for, on the paper's network and the built-in RECOLA-shaped data:

* **quiet**: fit time with ``n_threads=1`` and ``n_threads=2`` at batch sizes
  32 (the paper's), 256, 2048 and 8192, and ``predict`` on 16,384 rows (one
  chunk of ``predict``); the ratio 2 threads / 1 thread (below 1: two threads
  are faster);
* **busy**: the same fits while one other process keeps two threads busy (a
  torch matrix-product loop with ``torch.set_num_threads(2)``, started by this
  script), with ``n_threads=1``, ``None`` (torch's default, one thread per
  core: the behaviour before the parameter) and ``"auto"`` (the default now);
  the ratio busy / quiet for each, where the quiet time is that of the same
  thread count, and None / auto. Two busy processes sharing two cores would
  make 2x the fair share; the goal of issue 23 is at most 2.5x.

The estimator is ``SEWRegressor(**sewlearn.PAPER_TRAINING)`` with the batch
size of the row; the default ``SEWRegressor()`` is the same recipe (the script
checks it) and differs only by ``standardize_target``, which does not touch the
network. Runs of the compared settings alternate within each repeat, so that
drifts of a shared machine hit both; each figure is the median over
``--repeats``. The 1-minute load average is printed before each measurement
(it counts this script's own threads and the busy process too).

Usage::

    python benchmarks/bench_threads.py            # 5-10 minutes on 2 cores
    python benchmarks/bench_threads.py --quick    # 1-3 minutes
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

import sewlearn
from sewlearn import SEWRegressor
from sewlearn.datasets import make_recola_like

# Epochs per fit at each batch size: about the same time per fit (2-3 s with
# one thread), on --rows rows, or two batches' worth where that is more.
EPOCHS = {32: 2, 256: 4, 2048: 6, 8192: 2}

BUSY = """
import torch
torch.set_num_threads({threads})
a = torch.randn({size}, {size})
while True:
    a @ a
"""


def load():
    return os.getloadavg()[0]


def data(n_rows):
    """The weak (video-geometric), strong (audio) views and arousal, scaled."""
    n_frames = n_rows // 4
    d = make_recola_like(
        n_recordings=4, n_frames=n_frames, partitions=("train",), random_state=0
    )

    def scaled(a):
        return ((a - a.mean(0)) / (a.std(0) + 1e-8)).astype(np.float32)

    return (
        scaled(d.features.video_geometric),
        scaled(d.features.audio),
        d.targets.arousal.astype(np.float32),
    )


class ThreadsSeen:
    """Records the values given to ``torch.set_num_threads`` (the first of a
    call is what ``n_threads`` chose; none: torch's setting was kept)."""

    def __init__(self):
        self.original = torch.set_num_threads
        self.values = []

    def __enter__(self):
        def recording(n):
            self.values.append(n)
            self.original(n)

        torch.set_num_threads = recording
        return self

    def __exit__(self, *exc):
        torch.set_num_threads = self.original


def make(batch_size, epochs, n_threads):
    params = {**sewlearn.PAPER_TRAINING, "batch_size": batch_size}
    return SEWRegressor(
        **params,
        standardize_target=False,
        max_epochs=epochs,
        n_threads=n_threads,
        random_state=0,
    )


def time_fit(views, batch_size, epochs, n_threads):
    """Seconds of one fit, the threads torch used in it, the fitted model."""
    X, Xs, y = views
    model = make(batch_size, epochs, n_threads)
    with ThreadsSeen() as seen:
        start = time.perf_counter()
        model.fit(X, y, X_strong=Xs)
        seconds = time.perf_counter() - start
    used = seen.values[0] if seen.values else torch.get_num_threads()
    return seconds, used, model


def time_predict(model, X, n_threads):
    model.set_params(n_threads=n_threads)
    with ThreadsSeen() as seen:
        start = time.perf_counter()
        model.predict(X)
        seconds = time.perf_counter() - start
    used = seen.values[0] if seen.values else torch.get_num_threads()
    return seconds, used


def paired(settings, repeats, measure):
    """{setting: (median seconds, threads used, loads)}, runs alternated."""
    times = {s: [] for s in settings}
    used, loads = {}, {s: [] for s in settings}
    for rep in range(repeats):
        order = settings if rep % 2 == 0 else settings[::-1]
        for s in order:
            loads[s].append(load())
            seconds, used[s] = measure(s)
            times[s].append(seconds)
    return {s: (statistics.median(times[s]), used[s], loads[s]) for s in settings}


def loads_text(values):
    lo, hi = min(values), max(values)
    return f"{lo:.1f}" if abs(hi - lo) < 0.05 else f"{lo:.1f}-{hi:.1f}"


def run(args):
    views = {n: data(n) for n in {max(args.rows, 2 * bs) for bs in args.batch_sizes}}
    views_of = {bs: views[max(args.rows, 2 * bs)] for bs in args.batch_sizes}
    X_predict = data(args.predict_rows)[0]
    epochs = {
        bs: max(1, EPOCHS.get(bs, 2) // (2 if args.quick else 1))
        for bs in args.batch_sizes
    }
    cases = [
        (f"fit, batch {bs}, {len(views_of[bs][0])} rows", bs) for bs in args.batch_sizes
    ]
    cases.append((f"predict, {len(X_predict)} rows", None))

    def measure_case(bs, n_threads):
        if bs is None:
            return time_predict(fitted, X_predict, n_threads)
        seconds, used, _ = time_fit(views_of[bs], bs, epochs[bs], n_threads)
        return seconds, used

    # A model to predict with, and a warm-up of both thread counts.
    small = views[min(views)]
    _, _, fitted = time_fit(small, 256, 1, 1)
    time_fit(small, 32, 1, 2)

    print("## Quiet: 2 threads / 1 thread (below 1: two are faster)\n")
    print("| case | epochs | 1 thread (s) | 2 threads (s) | 2 / 1 | load avg |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    quiet = {}
    for name, bs in cases:
        r = paired([1, 2], args.repeats, lambda n, bs=bs: measure_case(bs, n))
        quiet[name] = {n: r[n][0] for n in (1, 2)}
        print(
            f"| {name} | {epochs.get(bs, '-')} | {r[1][0]:.2f} | {r[2][0]:.2f} | "
            f"{r[2][0] / r[1][0]:.2f} | {loads_text(r[1][2] + r[2][2])} |",
            flush=True,
        )

    busy = subprocess.Popen(
        [sys.executable, "-c", BUSY.format(threads=2, size=args.busy_size)],
        env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    try:
        time.sleep(3)  # let it start and load the cores
        print(
            "\n## Busy: beside one process keeping 2 torch threads busy "
            f"({args.busy_size}x{args.busy_size} products)\n"
        )
        print(
            "| case | 1 thread (s) | busy / quiet | None (s) | busy / quiet | "
            "auto (s) | auto threads | busy / quiet | None / auto | load avg |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        n_default = torch.get_num_threads()
        for name, bs in cases:
            r = paired(
                [None, "auto", 1],
                args.repeats,
                lambda n, bs=bs: measure_case(bs, n),
            )
            one, none, auto = r[1][0], r[None][0], r["auto"][0]
            auto_threads = r["auto"][1]
            q = quiet[name]
            print(
                f"| {name} | {one:.2f} | {one / q[1]:.2f} | {none:.2f} | "
                f"{none / q[n_default]:.2f} | {auto:.2f} | {auto_threads} | "
                f"{auto / q[auto_threads]:.2f} | {none / auto:.2f} | "
                f"{loads_text(r[None][2] + r['auto'][2] + r[1][2])} |",
                flush=True,
            )
    finally:
        busy.kill()
        busy.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows, epochs")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1)")
    parser.add_argument(
        "--rows", type=int, default=None, help="training rows, default 4096 (2048)"
    )
    parser.add_argument(
        "--predict-rows", type=int, default=16384, help="rows given to predict"
    )
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[32, 256, 2048, 8192]
    )
    parser.add_argument(
        "--busy-size", type=int, default=512, help="matrix size of the busy loop"
    )
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.rows is None:
        args.rows = 2048 if args.quick else 4096
    warnings.simplefilter("ignore")  # the alignment-saturation note at batch 32
    # The default SEWRegressor is the paper's recipe (standardize_target aside).
    defaults = SEWRegressor().get_params()
    assert all(defaults[k] == v for k, v in sewlearn.PAPER_TRAINING.items())
    # n_threads=None runs with torch's default, one thread per core, even where
    # OMP_NUM_THREADS=1 was set for the rest of the session.
    torch.set_num_threads(os.cpu_count())
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}, sewlearn "
        f"{sewlearn.__version__}; torch default threads {torch.get_num_threads()}; "
        f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
        f"{args.rows} rows; median of {args.repeats}; load average before: "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}\n"
    )
    run(args)
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
