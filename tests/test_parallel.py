"""Scaling out on Dask: torch threads per task, scikit-learn's searches on the
joblib ``"dask"`` backend, and ``sewlearn reproduce`` on a cluster."""

import sys

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

import sewlearn._reproduce as reproduce
import sewlearn.experiments as experiments
from sewlearn import DeepCCA, SEWClassifier, SEWRegressor
from sewlearn._parallel import dask_worker_nthreads, torch_threads_for_task
from sewlearn.datasets import make_recola_like

CV = KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, as ``sewlearn reproduce`` starts."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def views(two_view_data):
    X, Xs, y = (a[:150] for a in two_view_data)
    return X, Xs, y


@pytest.fixture
def torch_threads():
    """Restore torch's thread count after a test that changes it."""
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


# -- torch threads per task ----------------------------------------------------
def test_outside_a_worker_threads_are_left_alone(torch_threads):
    torch.set_num_threads(2)
    assert dask_worker_nthreads() is None
    with torch_threads_for_task() as n:
        assert n == 2 and torch.get_num_threads() == 2
    assert torch.get_num_threads() == 2


def test_explicit_threads_are_restored_after_an_error(torch_threads):
    torch.set_num_threads(2)
    with pytest.raises(RuntimeError, match="inside"):
        with torch_threads_for_task(n_threads=1) as n:
            assert n == 1 and torch.get_num_threads() == 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == 2
    with pytest.raises(ValueError, match="at least 1"):
        with torch_threads_for_task(n_threads=0):
            pass


def test_works_without_distributed(monkeypatch, torch_threads):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    assert dask_worker_nthreads() is None
    with torch_threads_for_task() as n:
        assert n == torch_threads


def _threads_in_task(threads_before):
    """Run inside a Dask task: (worker budget, set, inside, after)."""
    original = torch.get_num_threads()
    torch.set_num_threads(threads_before)  # as torch's default would be
    try:
        with torch_threads_for_task() as n:
            inside = torch.get_num_threads()
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(original)
    return dask_worker_nthreads(), n, inside, after


def test_inside_a_worker_task_uses_one_thread(client):
    budget, n, inside, after = client.submit(_threads_in_task, 2, pure=False).result()
    assert (budget, n, inside, after) == (1, 1, 1, 2)


def test_a_worker_with_two_threads_gives_each_task_one():
    distributed = pytest.importorskip("distributed")
    # Threads in this process: cheap to start; two tasks may run at once.
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        futures = client.map(_threads_in_task, [2, 2], pure=False)
        for budget, n, inside, after in client.gather(futures):
            assert (budget, n, inside, after) == (2, 1, 1, 2)


# -- GridSearchCV / cross_validate on the joblib "dask" backend ---------------
def _searches(make_search, fit, client):
    """cv_results_ serially (n_jobs=1) and as Dask tasks; also the task count."""
    distributed = pytest.importorskip("distributed")
    serial = make_search(n_jobs=1)
    fit(serial)
    on_dask = make_search(n_jobs=None)
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask"):
            fit(on_dask)
    return serial.cv_results_, on_dask.cv_results_, len(stream.data)


def _assert_same_scores(serial, on_dask):
    for key in serial:
        if key.startswith(("split", "mean_test", "std_test", "rank_test")):
            np.testing.assert_array_equal(on_dask[key], serial[key], err_msg=key)


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
@pytest.mark.parametrize("Estimator", [SEWRegressor, SEWClassifier])
def test_grid_search_on_dask_equals_serial(client, views, tiny, Estimator, routing):
    X, Xs, y = views
    if Estimator is SEWClassifier:
        y = (y > np.median(y)).astype(int)

    def make_search(n_jobs):
        est = tiny(Estimator, max_epochs=2)
        if routing:
            est.set_fit_request(X_strong=True)
        return GridSearchCV(
            est,
            {"alpha": [0.0, 1.0], "gamma": [0.0, 1.0]},
            cv=CV,
            refit=False,
            n_jobs=n_jobs,
            error_score="raise",
        )

    with sklearn.config_context(enable_metadata_routing=routing):
        serial, on_dask, n_tasks = _searches(
            make_search, lambda s: s.fit(X, y, X_strong=Xs), client
        )
    assert n_tasks >= 1  # the fits went through the cluster
    _assert_same_scores(serial, on_dask)
    # X_strong reached every fold: the ablations differ from full SEW.
    assert len(set(serial["mean_test_score"])) > 1


def test_grid_search_of_deepcca_on_dask_equals_serial(client, views, tiny):
    X, Xs, _ = views

    def make_search(n_jobs):
        return GridSearchCV(
            tiny(DeepCCA, batch_size=32),
            {"activation": ["identity", "tanh"]},
            cv=CV,
            refit=False,
            n_jobs=n_jobs,
            error_score="raise",
        )

    serial, on_dask, n_tasks = _searches(make_search, lambda s: s.fit(X, Xs), client)
    assert n_tasks >= 1
    _assert_same_scores(serial, on_dask)


def test_cross_validate_on_dask_equals_serial(client, views, tiny):
    distributed = pytest.importorskip("distributed")
    X, Xs, y = views
    sew = tiny(SEWRegressor, max_epochs=2)
    serial = cross_validate(sew, X, y, cv=CV, params={"X_strong": Xs})
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask"):
            on_dask = cross_validate(sew, X, y, cv=CV, params={"X_strong": Xs})
    assert len(stream.data) >= 1
    np.testing.assert_array_equal(on_dask["test_score"], serial["test_score"])


# -- sewlearn reproduce on a cluster -------------------------------------------
TINY_RUN = dict(
    n_recordings=2,
    n_frames=200,
    seeds=2,
    max_epochs=1,
    progress=False,
    plots=False,
)


def _fail_in_worker(name, marker=None):
    """In each worker: make the run called ``name`` raise (once, with a marker)."""
    import pathlib

    # Tasks travel to the workers by reference to run_task's own module.
    import sewlearn.experiments._studies as module

    original = module.run_task

    def run_task(task, data):
        if task.name == name:
            if marker is None:
                raise ValueError("this fit is broken")
            if not pathlib.Path(marker).exists():
                pathlib.Path(marker).touch()
                raise OSError("a transient failure")
        return original(task, data)

    run_task.original = original
    module.run_task = run_task


def _restore_in_worker():
    import sewlearn.experiments._studies as module

    module.run_task = getattr(module.run_task, "original", module.run_task)


FAILING = "Table 2, valence: audio(+video-geo), -SD1, seed 1"


def test_a_failing_task_names_the_run(client, tmp_path, capsys):
    client.run(_fail_in_worker, FAILING)
    try:
        with pytest.raises(reproduce.RunFailedError, match="failed") as info:
            reproduce.run(output=tmp_path, scheduler=client, **TINY_RUN)
    finally:
        client.run(_restore_in_worker)
    message = str(info.value)
    assert FAILING in message and "ValueError: this fit is broken" in message
    assert info.value.task.name == FAILING
    assert not (tmp_path / "table2_ablation.csv").exists()  # no partial table


def test_a_transient_failure_is_retried(client, tmp_path, capsys):
    marker = tmp_path / "failed-once"
    client.run(_fail_in_worker, FAILING, str(marker))
    try:
        result = reproduce.run(output=tmp_path, scheduler=client, **TINY_RUN)
    finally:
        client.run(_restore_in_worker)
    assert marker.exists()  # it did fail once, and Dask ran it again
    n_fits = (
        len(experiments.MODALITIES) * len(experiments.TARGETS)
        + len(experiments.CASES) * len(experiments.VARIANTS) * 2
    )
    assert len(result["fit_seconds"]) == n_fits
    assert "as Dask tasks on 2 worker(s)" in (tmp_path / "results.md").read_text()


def test_task_names_are_unique_and_readable():
    settings = dict(experiments.PRESETS["quick"])
    data = make_recola_like(
        n_recordings=2, n_frames=50, partitions=("train", "dev"), random_state=0
    )
    data = dict.fromkeys(experiments.TARGETS, data)
    tasks = experiments.plan(data, settings, [0, 1], budgets=[1, 2])
    names = [t.name for t in tasks]
    assert len(set(names)) == len(names)
    assert FAILING in names
    assert "Table 1, arousal: audio, uni-modal, seed 0" in names
    assert (
        "label budget, arousal: video-geo(+audio), 1 labeled recording(s), "
        "SEW + unlabeled, seed 1"
    ) in names


def test_scheduler_without_distributed_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    from sewlearn.experiments._errors import UsageError

    with pytest.raises(UsageError, match=r"sewlearn\[distributed\]"):
        reproduce.run(output=tmp_path, scheduler="local:2", **TINY_RUN)
