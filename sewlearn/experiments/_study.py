# License: BSD 3 clause
"""Running a study: its tasks, resumable, serially or on Dask, with progress."""

import sys
import time
from dataclasses import dataclass

from ._errors import TaskFailedError
from ._executor import connect, execute


@dataclass
class StudyRun:
    """What :func:`run_study` did.

    Attributes
    ----------
    results : list
        Each task's result, in the order of the tasks.
    reused : int
        How many results came from the store.
    seconds : float
        Wall time of the execution.
    n_workers : int or None
        The Dask workers at the end; None when run serially.
    """

    results: list
    reused: int
    seconds: float
    n_workers: int | None


def run_study(
    tasks,
    function,
    data,
    *,
    store,
    keys,
    scheduler=None,
    worker_timeout=60,
    retries=1,
    error=TaskFailedError,
    progress=True,
    desc="fits",
):
    """Run ``function(task, data)`` for every task; keep each result in ``store``.

    The tasks already in ``store`` (a :class:`TaskStore`, under ``keys``) are
    not run again; the run says how many it reused. Serially, or with
    ``scheduler`` (an address, ``"local:N"`` or a ``distributed.Client``:
    :func:`connect`) as Dask tasks, closing a cluster it started. A task
    that still fails after ``retries`` stops the run with ``error(task,
    exc)`` naming it (:func:`execute`); the results finished before it stay
    in the store.

    Parameters
    ----------
    tasks : list
        The study; each task's ``name`` names it in errors.
    function : callable
        ``function(task, data)`` returns a task's result; a module-level
        function (Dask workers import it).
    data : object
        Passed to every task (sent once to each Dask worker).
    store : TaskStore
        Where results are kept.
    keys : list of str
        Each task's key in ``store`` (:meth:`TaskStore.key` of everything
        that determines its result).
    scheduler : str or distributed.Client, default=None
        None: one task after the other, in this process.
    worker_timeout : float, default=60
        Seconds to wait for a first Dask worker.
    retries : int, default=1
        Reruns of a Dask task that raises.
    error : type, default=TaskFailedError
        The error that names a failed task.
    progress : bool, default=True
        A progress bar of finished tasks on standard error.
    desc : str, default="fits"
        The progress bar's label.

    Returns
    -------
    StudyRun

    Examples
    --------
    >>> import tempfile
    >>> from sewlearn.experiments import TaskStore, run_study
    >>> def square(task, data):
    ...     return task * task + data
    >>> folder = tempfile.mkdtemp()
    >>> store = TaskStore(folder)
    >>> keys = [store.key("square", t) for t in (1, 2, 3)]
    >>> run_study([1, 2, 3], square, 10, store=store, keys=keys,
    ...           progress=False).results
    [11, 14, 19]
    >>> run_study([1, 2, 3], square, 10, store=store, keys=keys,
    ...           progress=False).reused  # the second time, from the store
    3
    """
    client, close = (
        connect(scheduler, worker_timeout=worker_timeout)
        if scheduler is not None
        else (None, lambda: None)
    )
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm comes with skorch
            pass
        else:
            bar = tqdm(total=len(tasks), desc=desc, file=sys.stderr)
    n_workers = None
    start = time.perf_counter()
    try:
        results, reused = execute(
            tasks,
            keys,
            function,
            data,
            store=store,
            client=client,
            bar=bar,
            retries=retries,
            error=error,
        )
        if client is not None:
            n_workers = len(client.nthreads())
    finally:
        if bar is not None:
            bar.close()  # before the cluster's shutdown
        close()
    if reused:
        print(
            f"Reused {reused} of {len(tasks)} fits stored in {store.path} "
            "(--fresh runs them again).",
            file=sys.stderr,
        )
    return StudyRun(results, reused, time.perf_counter() - start, n_workers)
