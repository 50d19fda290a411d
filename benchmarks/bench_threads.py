"""torch's intra-op threads in SEWRegressor: 1 against 2, quiet and busy.

The estimators' ``n_threads`` parameter (issue 23) sets torch's intra-op
threads for each ``fit`` and ``predict``. This benchmark measures what it is
for, on the paper's network and the built-in RECOLA-shaped data:

* **quiet**: fit time with ``n_threads=1``, ``None`` (torch's default, one
  thread per core: the behaviour before the parameter) and ``"auto"`` (the
  default now) at batch sizes 32 (the paper's), 256, 1024, 2048 and 8192, and
  ``predict`` on 16,384 rows (one chunk of ``predict``); the ratio None / 1
  (below 1: more threads are faster);
* **busy**: each of those runs again at once beside one other process that
  keeps two torch threads busy (a matrix-product loop with
  ``torch.set_num_threads(2)``, started by this script and paused with
  SIGSTOP during the quiet runs); the ratio busy / quiet of each pair, and
  busy None / busy 1 and busy None / busy auto. Two busy processes sharing
  two cores would make 2x the fair share; the goal of issue 23 is at most
  2.5x.

The estimator is ``SEWRegressor(**sewlearn.PAPER_TRAINING)`` with the batch
size of the row; the default ``SEWRegressor()`` is the same recipe (the script
checks it) and differs only by ``standardize_target``, which does not touch the
network. "Quiet" means without the busy process: whatever else runs on the
machine runs in both runs of a pair, and the order of the settings is reversed
every other repeat, so that drifts of a shared machine hit all of them. Each
figure is the median over ``--repeats``. The 1-minute load average is recorded
before each run (it counts this script's own threads, and the busy process's
in busy runs).

Usage::

    python benchmarks/bench_threads.py            # 5-10 minutes on 2 cores
    python benchmarks/bench_threads.py --quick    # 1-3 minutes
"""

import argparse
import os
import platform
import signal
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

# Epochs per fit at each batch size: about the same time per fit (1-3 s with
# one thread), on --rows rows, or two batches' worth where that is more.
EPOCHS = {32: 1, 256: 2, 1024: 2, 2048: 4, 8192: 2}

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


def loads_text(values):
    lo, hi = f"{min(values):.1f}", f"{max(values):.1f}"
    return lo if lo == hi else f"{lo}-{hi}"


def _cpu_seconds(pid=None):
    """CPU seconds used so far: by the machine (all cores, /proc/stat), or by
    process ``pid`` (/proc/PID/stat); None where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        if pid is None:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
            return (sum(fields[:8]) - fields[3] - fields[4]) / tick  # not idle
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    except (OSError, ValueError, IndexError):
        return None


class OtherWork:
    """Cores' worth of work by other processes during a block (Linux).

    The machine's busy CPU time (/proc/stat) less this process's and the busy
    process's, over the wall time: 0 on an otherwise idle machine, 1.0 when
    other processes kept one core busy throughout. None without /proc.
    """

    def __init__(self, busy_pid):
        self.busy_pid = busy_pid
        self.cores = None

    def __enter__(self):
        self.start = (
            time.perf_counter(),
            _cpu_seconds(),
            time.process_time(),
            _cpu_seconds(self.busy_pid),
        )
        return self

    def __exit__(self, *exc):
        wall, machine, own, busy = self.start
        if machine is None or busy is None:
            return
        used = (_cpu_seconds() - machine) - (time.process_time() - own)
        used -= _cpu_seconds(self.busy_pid) - busy
        self.cores = max(0.0, used / (time.perf_counter() - wall))


class BusyProcess:
    """One other process keeping ``threads`` torch threads busy, pausable.

    Started once; ``pause()`` stops it (SIGSTOP) for a quiet run and
    ``resume()`` lets it run again, so that a quiet and a busy run can follow
    each other closely and see about the same load from the rest of the
    machine.
    """

    def __init__(self, threads, size):
        code = BUSY.format(threads=threads, size=size)
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        self.process = subprocess.Popen([sys.executable, "-c", code], env=env)
        time.sleep(3)  # import torch and start multiplying
        self.pause()

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)
        time.sleep(0.5)  # its threads back on the cores

    def close(self):
        self.process.kill()
        self.process.wait()


def measure_pairs(settings, repeats, measure, busy):
    """Quiet and busy runs of each setting, in pairs, settings alternated.

    Returns {setting: {"quiet": [s], "busy": [s], "threads": n, "load quiet":
    [..], "other quiet": [..], ...}} (load averages before the runs; other
    processes' work during them, in cores, :class:`OtherWork`):
    in each repeat every setting runs once quiet (the busy process paused)
    and at once busy; the order of the settings is reversed every other
    repeat, so that drifts of a shared machine hit all of them.
    """
    out = {
        s: {
            k: []
            for k in (
                "quiet",
                "busy",
                "load quiet",
                "load busy",
                "other quiet",
                "other busy",
            )
        }
        for s in settings
    }
    for rep in range(repeats):
        for s in settings if rep % 2 == 0 else settings[::-1]:
            for condition in ("quiet", "busy"):
                if condition == "busy":
                    busy.resume()
                out[s][f"load {condition}"].append(load())
                try:
                    with OtherWork(busy.process.pid) as other:
                        seconds, out[s]["threads"] = measure(s)
                finally:
                    busy.pause()
                out[s][condition].append(seconds)
                if other.cores is not None:
                    out[s][f"other {condition}"].append(other.cores)
    return out


def run(args):
    views = {n: data(n) for n in {max(args.rows, 2 * bs) for bs in args.batch_sizes}}
    views_of = {bs: views[max(args.rows, 2 * bs)] for bs in args.batch_sizes}
    X_predict = data(args.predict_rows)[0]
    epochs = {
        bs: max(1, EPOCHS.get(bs, 2) // (2 if args.quick else 1))
        for bs in args.batch_sizes
    }
    cases = [
        (f"fit, batch {bs}, {len(views_of[bs][0])} rows, {epochs[bs]} epoch(s)", bs)
        for bs in args.batch_sizes
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

    settings = [1, None, "auto"]
    results = {}
    busy = BusyProcess(2, args.busy_size)
    try:
        for name, bs in cases:
            results[name] = measure_pairs(
                settings, args.repeats, lambda n, bs=bs: measure_case(bs, n), busy
            )
            print(f"  measured: {name}", file=sys.stderr, flush=True)
    finally:
        busy.close()

    med = statistics.median

    def context(r, condition):
        """Load averages before, and other processes' cores during, the runs."""
        loads = [v for k in settings for v in r[k][f"load {condition}"]]
        other = [v for k in settings for v in r[k][f"other {condition}"]]
        shown = (
            f"{med(other):.2f} ({min(other):.2f}-{max(other):.2f})" if other else "-"
        )
        return f"{loads_text(loads)} | {shown}"

    n_default = torch.get_num_threads()
    print(
        f"## Quiet: {n_default} threads (None, torch's default) / 1 thread "
        "(below 1: more threads are faster)\n"
    )
    print(
        "| case | 1 thread (s) | None (s) | None / 1 | auto (s) | auto threads | "
        "load avg | other work (cores) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for name, _ in cases:
        r = results[name]
        one, none = med(r[1]["quiet"]), med(r[None]["quiet"])
        print(
            f"| {name} | {one:.2f} | {none:.2f} | {none / one:.2f} | "
            f"{med(r['auto']['quiet']):.2f} | {r['auto']['threads']} | "
            f"{context(r, 'quiet')} |"
        )
    print(
        "\n## Busy / quiet: the same setting beside one process keeping 2 torch "
        f"threads busy ({args.busy_size}x{args.busy_size} products); the median "
        "over repeats of each pair's ratio, and the busy seconds\n"
    )
    print(
        "| case | 1 thread | None | auto | busy None / busy 1 | "
        "busy None / busy auto | busy auto (s) | load avg | other work (cores) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for name, _ in cases:
        r = results[name]
        ratio = {
            s: med(b / q for b, q in zip(r[s]["busy"], r[s]["quiet"])) for s in settings
        }
        none_over_one = med(a / b for a, b in zip(r[None]["busy"], r[1]["busy"]))
        none_over_auto = med(a / b for a, b in zip(r[None]["busy"], r["auto"]["busy"]))
        print(
            f"| {name} | {ratio[1]:.2f} | {ratio[None]:.2f} | {ratio['auto']:.2f} | "
            f"{none_over_one:.2f} | {none_over_auto:.2f} | "
            f"{med(r['auto']['busy']):.2f} | "
            f"{context(r, 'busy')} |"
        )
    print(
        "\nother work: cores' worth of CPU used by processes other than this "
        "script and the busy process during the runs (median, range)"
    )


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
        "--batch-sizes", type=int, nargs="+", default=[32, 256, 1024, 2048, 8192]
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
