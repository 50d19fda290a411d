# License: BSD 3 clause
"""Running fits as Dask tasks: torch's intra-op threads inside a worker.

Dask, not a scheduler of our own, scales sewlearn out: scikit-learn's
``GridSearchCV`` / ``cross_validate`` through joblib's ``"dask"`` backend, and
``sewlearn reproduce --scheduler``. The one thing Dask cannot know is how many
threads torch should use inside a task; :func:`torch_threads_for_task` sets
that, and the estimators' ``n_threads="auto"`` uses the same rule
(:func:`auto_torch_threads`) outside Dask. ``distributed`` is imported only
when asked for, so the package works without it (``pip install
"sewlearn[distributed]"`` adds it).
"""

from contextlib import contextmanager

import torch

__all__ = [
    "AUTO_MIN_WORK",
    "auto_torch_threads",
    "dask_worker_nthreads",
    "torch_threads_for_task",
]

#: Multiply-adds of one forward pass (rows times the network's weights) from
#: which ``n_threads="auto"`` leaves torch's threads as they are; below it, one
#: thread. For the paper's network (574,533 weights in training, 503,921
#: deployed) that is training batches of 3,738 rows and predictions on 4,262
#: rows (docs/scaling.rst, "Torch threads"; benchmarks/bench_threads.py).
AUTO_MIN_WORK = 2**31


def dask_worker_nthreads():
    """The thread count of the Dask worker running this code, or None outside one.

    A worker started with ``nthreads=k`` (``dask worker --nthreads k``,
    ``LocalCluster(threads_per_worker=k)``) owns ``k`` cores and runs up to
    ``k`` tasks at once, one per thread.

    Returns
    -------
    nthreads : int or None
        None when ``distributed`` is not installed or this code is not running
        inside a Dask worker.
    """
    try:
        from distributed import get_worker
    except ImportError:
        return None
    try:
        worker = get_worker()
    except ValueError:  # "No worker found": not inside a Dask task
        return None
    state = getattr(worker, "state", None)  # distributed >= 2022.11
    nthreads = getattr(state, "nthreads", None) or getattr(worker, "nthreads", None)
    return int(nthreads) if nthreads else None


def auto_torch_threads(work=None):
    """The torch threads that ``n_threads="auto"`` gives a fit or a prediction.

    One thread inside a Dask worker (each task owns one core, see
    :func:`torch_threads_for_task`) and for passes smaller than
    :data:`AUTO_MIN_WORK` multiply-adds; for larger ones, torch's setting as
    it is (by default one thread per core).

    Why (benchmarks/bench_threads.py on a 2-core machine, the paper's
    network; docs/scaling.rst): beside one other busy 2-thread process, two
    threads made a fit 3.8-8.5x slower than on the idle machine up to
    batches of 2,048 rows (one thread: 1.5-1.75x), and slower than one thread
    by 5.2x at batch 32 down to about 1.4x at 2,048, while on the idle machine
    they were 1.0-1.6x faster; at 8,192 rows, 1.2x slower busy and 1.6x
    faster idle, and ``predict`` on 16,384 rows stayed faster with two
    threads busy or not. With another process on one core, two threads made
    fits up to 55x slower than one.

    Parameters
    ----------
    work : int or None, default=None
        Multiply-adds of one forward pass, about: rows per pass times the
        number of weights of the network. None counts as small.

    Returns
    -------
    n_threads : int or None
        1, or None for "leave torch's setting as it is".

    Examples
    --------
    >>> from sewlearn._parallel import AUTO_MIN_WORK, auto_torch_threads
    >>> auto_torch_threads(32 * 550_000)  # the paper's network, a batch of 32
    1
    >>> auto_torch_threads(AUTO_MIN_WORK) is None  # outside a Dask worker
    True
    """
    if dask_worker_nthreads() is not None:
        return 1
    if work is None or work < AUTO_MIN_WORK:
        return 1
    return None


@contextmanager
def torch_threads_for_task(n_threads=None, *, work=None):
    """Limit torch's intra-op threads while a Dask task runs; restore them after.

    Inside a Dask worker, torch uses ``n_threads`` threads for the duration
    of the ``with`` block, by default the worker's thread budget per task:
    a worker with ``nthreads=k`` runs ``k`` tasks at once on its ``k`` cores,
    so each task gets one core, hence one torch thread. Outside a worker
    (a plain script, ``n_jobs=1``) nothing changes unless ``n_threads`` is
    given.

    Why one: torch's default is one thread per core of the machine, in every
    task. ``k`` tasks at once then run ``k`` times as many threads as cores;
    several torch threads per task on a shared 2-core machine were measured
    here to be 5-25x slower than one. Small networks such as SEW's gain little
    from intra-op threads anyway; the parallelism is across tasks. For one
    large fit per multi-core machine, start the worker with one thread and
    pass ``n_threads`` explicitly.

    torch keeps the setting per OS thread (OpenMP), and new threads start
    from the last value set, so the previous value is restored on exit, also
    when the block raises.

    Parameters
    ----------
    n_threads : int, "auto" or None, default=None
        Threads for torch in the block. None: one per task inside a Dask
        worker, no change outside one. "auto": :func:`auto_torch_threads`
        of ``work`` (one inside a Dask worker, also).
    work : int or None, default=None
        Multiply-adds of one forward pass in the block, for ``"auto"``.

    Yields
    ------
    n_threads : int
        The number of torch threads in effect inside the block.

    Examples
    --------
    >>> import torch
    >>> from sewlearn._parallel import torch_threads_for_task
    >>> before = torch.get_num_threads()
    >>> with torch_threads_for_task() as n:  # not in a Dask worker: no change
    ...     n == before
    True
    >>> with torch_threads_for_task(n_threads=1) as n:
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    >>> with torch_threads_for_task("auto", work=1000) as n:  # a small pass
    ...     n
    1
    """
    if isinstance(n_threads, str) and n_threads == "auto":
        n_threads = auto_torch_threads(work)
    if n_threads is None and dask_worker_nthreads() is not None:
        # A worker's k threads run k tasks at once on its k cores: one each.
        n_threads = 1
    previous = torch.get_num_threads()
    if n_threads is None or n_threads == previous:
        yield previous
        return
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}.")
    torch.set_num_threads(n_threads)
    try:
        yield n_threads
    finally:
        torch.set_num_threads(previous)
