# License: BSD 3 clause
"""Running a list of tasks: one after the other, or as Dask tasks."""

import uuid

from ._errors import TaskFailedError, UsageError


def connect(scheduler, *, worker_timeout=60):
    """A ``distributed.Client`` with at least one worker, and a closing function.

    ``scheduler``: a scheduler address, ``"local:N"`` (a ``LocalCluster`` of
    ``N`` single-threaded worker processes, closed at the end) or a Client.
    Called before any fit, so a wrong address or a cluster without workers
    stops the run at once: :class:`UsageError` after ``worker_timeout``
    seconds at most.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError(
            "--scheduler needs Dask's distributed scheduler: "
            "pip install 'sewlearn[distributed]'"
        ) from exc
    if isinstance(scheduler, Client):
        client, close = scheduler, lambda: None
    elif scheduler.startswith("local:"):
        count = scheduler.partition(":")[2]
        n_workers = int(count) if count.isdigit() else 0
        if n_workers < 1:
            raise UsageError(
                f"--scheduler local:N needs a number of workers N >= 1, got "
                f"{scheduler!r}."
            )
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        )
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()

    else:
        try:
            client = Client(scheduler, timeout=worker_timeout)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise UsageError(
                f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                f"({type(exc).__name__}: {exc})"
            ) from None
        close = client.close
    try:
        client.wait_for_workers(1, timeout=worker_timeout)
    except (TimeoutError, OSError) as exc:
        close()
        raise UsageError(
            f"--scheduler {scheduler}: no Dask worker joined within "
            f"{worker_timeout:g} s (start workers with 'dask worker ADDRESS', or "
            "use local:N)"
        ) from exc
    return client, close


def execute(
    tasks,
    keys,
    function,
    data,
    *,
    store=None,
    client=None,
    bar=None,
    retries=1,
    error=TaskFailedError,
):
    """``function(task, data)`` for each task; results in the order of ``tasks``.

    A task whose key is in ``store`` (a :class:`TaskStore`) is not run: its
    stored result is used. Each other task's result is stored as soon as it
    finishes, so an interrupted run loses only the tasks under way. Without
    ``client`` the tasks run one after the other; with a
    ``distributed.Client`` each is a Dask task: the data go to every worker
    once (``scatter(broadcast=True)``), a task that raises is retried
    ``retries`` times (a worker that dies is handled by the scheduler's own
    ``distributed.scheduler.allowed-failures``). A task that still fails
    stops the run with ``error(task, exc)`` naming it. A KeyboardInterrupt is
    never caught.

    Returns ``(results, reused)``: the list of results and the number taken
    from the store.
    """
    results = [None] * len(tasks)
    pending = []
    for i, key in enumerate(keys):
        found, result = store.get(key) if store is not None else (False, None)
        if found:
            results[i] = result
        else:
            pending.append(i)
    reused = len(tasks) - len(pending)
    if bar is not None and reused:
        bar.update(reused)

    def finished(i, result):
        results[i] = result
        if store is not None:
            store.put(keys[i], result)
        if bar is not None:
            bar.update()

    if client is None:
        for i in pending:
            try:
                result = function(tasks[i], data)
            except Exception as exc:
                raise error(tasks[i], exc) from exc
            finished(i, result)
    elif pending:
        _execute_on_dask(
            tasks, pending, function, data, client, finished, retries, error
        )
    return results, reused


def _execute_on_dask(tasks, pending, function, data, client, finished, retries, error):
    from distributed import as_completed

    [data_future] = client.scatter([data], broadcast=True, hash=False)
    run_id = uuid.uuid4().hex[:8]
    futures = {}
    for i in pending:
        slug = getattr(tasks[i], "study", "task").replace(" ", "_").lower()
        future = client.submit(
            function,
            tasks[i],
            data_future,
            key=f"sewlearn-{slug}-{run_id}-{i}",
            retries=retries,
            pure=False,
        )
        futures[future] = i
    try:
        for future in as_completed(futures):
            i = futures[future]
            try:
                result = future.result()
            except Exception as exc:
                raise error(tasks[i], exc) from exc
            future.release()
            finished(i, result)
    finally:
        client.cancel(list(futures))
        client.cancel([data_future])
