"""n_threads: torch's intra-op threads during fit, predict and transform.

Every forward pass of a network records ``torch.get_num_threads()`` (a global
forward hook), so the tests see the threads the computation ran with, not only
what was asked for; torch's setting before the call is 3, which no rule gives,
and must be 3 again after it.
"""

import json
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import sewlearn._base
import sewlearn._parallel
from sewlearn import DeepCCA, SEWClassifier, SEWRegressor, export_model, load_model

ESTIMATORS = [SEWRegressor, SEWClassifier, DeepCCA]
BEFORE = 3  # torch's threads before each call: none of the rules gives 3


@pytest.fixture
def seen():
    """The thread counts of the forward passes run in the test; torch at 3."""
    original = torch.get_num_threads()
    counts = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: counts.append(torch.get_num_threads())
    )
    torch.set_num_threads(BEFORE)
    yield counts
    handle.remove()
    torch.set_num_threads(original)


def _fit(estimator, data):
    X, Xs, y = data
    if isinstance(estimator, DeepCCA):
        return estimator.fit(X, Xs)
    if isinstance(estimator, SEWClassifier):
        return estimator.fit(X, y > 0, X_strong=Xs)
    return estimator.fit(X, y, X_strong=Xs)


def _use(estimator, X):
    """predict (and predict_proba) or transform: every inference path."""
    if isinstance(estimator, DeepCCA):
        return estimator.transform(X)
    if isinstance(estimator, SEWClassifier):
        estimator.predict_proba(X)
    estimator.transform(X)
    return estimator.predict(X)


def _threads_in(seen, call):
    """The set of thread counts the forward passes of ``call()`` ran with."""
    seen.clear()
    call()
    assert seen, "no forward pass ran"
    counts = set(seen)
    assert torch.get_num_threads() == BEFORE  # restored
    return counts


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_an_int_is_the_thread_count_in_fit_and_inference(
    seen, small_data, tiny, Estimator, n_threads
):
    est = tiny(Estimator, n_threads=n_threads)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {n_threads}
    assert _threads_in(seen, lambda: _use(est, small_data[0])) == {n_threads}


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_none_leaves_torch_as_it_is(seen, small_data, tiny, Estimator):
    est = tiny(Estimator, n_threads=None)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {BEFORE}
    assert _threads_in(seen, lambda: _use(est, small_data[0])) == {BEFORE}


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_auto_is_one_thread_for_small_passes(seen, small_data, tiny, Estimator):
    est = tiny(Estimator)
    assert est.n_threads == "auto"
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {1}
    assert _threads_in(seen, lambda: _use(est, small_data[0])) == {1}


def test_auto_keeps_torchs_threads_for_large_passes(
    seen, small_data, tiny, monkeypatch
):
    # A pass is large from AUTO_MIN_WORK multiply-adds on: every pass here.
    monkeypatch.setattr(sewlearn._parallel, "AUTO_MIN_WORK", 1)
    est = tiny(SEWRegressor)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {BEFORE}
    assert _threads_in(seen, lambda: _use(est, small_data[0])) == {BEFORE}


def test_auto_measures_a_pass_by_rows_times_weights(
    seen, small_data, tiny, monkeypatch
):
    X, Xs, y = small_data
    sizes = []  # the weights of each module run: the largest is the network
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: sizes.append(
            sum(p.numel() for p in module.parameters())
        )
    )
    try:
        est = tiny(SEWRegressor, batch_size=16).fit(X, y, X_strong=Xs)
    finally:
        handle.remove()
    trained = max(sizes)  # W_E, R and the strong side
    deployed = sum(p.numel() for p in est.module_.parameters())  # W_E and R
    assert trained > deployed
    # predict on 60 rows: 60 * the weights of W_E and R.
    monkeypatch.setattr(sewlearn._parallel, "AUTO_MIN_WORK", 60 * deployed + 1)
    assert _threads_in(seen, lambda: est.predict(X)) == {1}
    monkeypatch.setattr(sewlearn._parallel, "AUTO_MIN_WORK", 60 * deployed)
    assert _threads_in(seen, lambda: est.predict(X)) == {BEFORE}
    # fit: batches of 16 rows through the whole network.
    monkeypatch.setattr(sewlearn._parallel, "AUTO_MIN_WORK", 16 * trained + 1)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {1}
    monkeypatch.setattr(sewlearn._parallel, "AUTO_MIN_WORK", 16 * trained)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {BEFORE}


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_auto_is_one_thread_inside_a_dask_worker(
    seen, small_data, tiny, monkeypatch, Estimator
):
    # A worker with 4 threads runs 4 tasks at once: one torch thread each, even
    # for passes that would keep torch's threads elsewhere.
    monkeypatch.setattr(sewlearn._parallel, "dask_worker_nthreads", lambda: 4)
    monkeypatch.setattr(sewlearn._parallel, "AUTO_MIN_WORK", 1)
    est = tiny(Estimator)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {1}
    assert _threads_in(seen, lambda: _use(est, small_data[0])) == {1}
    # An int is what the user asked for, in a worker too; None changes nothing.
    est = tiny(Estimator, n_threads=2)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {2}
    est = tiny(Estimator, n_threads=None)
    assert _threads_in(seen, lambda: _fit(est, small_data)) == {BEFORE}


def test_sequence_model_fit_uses_n_threads(seen, small_data, tiny):
    X, Xs, y = small_data
    groups = np.repeat([0, 1], 30)
    est = tiny(SEWRegressor, head="gru", sequence_length=5, n_threads=2)
    fit = lambda: est.fit(X, y, X_strong=Xs, groups=groups)  # noqa: E731
    assert _threads_in(seen, fit) == {2}
    # transform runs W_E alone, frame by frame.
    assert _threads_in(seen, lambda: est.transform(X)) == {2}


def test_sequence_model_predict_uses_n_threads(seen, small_data, tiny):
    X, Xs, y = small_data
    groups = np.repeat([0, 1], 30)
    est = tiny(SEWRegressor, head="gru", sequence_length=5, n_threads=2)
    est.fit(X, y, X_strong=Xs, groups=groups)
    assert _threads_in(seen, lambda: est.predict(X, groups=groups)) == {2}


def test_threads_are_restored_when_fit_raises(seen, small_data, tiny, monkeypatch):
    inside = []

    def broken_fit(net, *args, **kwargs):
        inside.append(torch.get_num_threads())
        raise RuntimeError("broken training")

    monkeypatch.setattr(sewlearn._base.LossPartsNet, "fit", broken_fit)
    est = tiny(SEWRegressor, n_threads=2)
    with pytest.raises(RuntimeError, match="broken training"):
        _fit(est, small_data)
    assert inside == [2]
    assert torch.get_num_threads() == BEFORE
    assert not hasattr(est, "module_")  # and nothing looks fitted


def test_threads_are_restored_when_predict_raises(seen, small_data, tiny):
    est = _fit(tiny(SEWRegressor, n_threads=2), small_data)
    inside = []

    def broken_forward(*args):
        inside.append(torch.get_num_threads())
        raise RuntimeError("broken forward")

    est.module_.forward = broken_forward
    with pytest.raises(RuntimeError, match="broken forward"):
        est.predict(small_data[0])
    assert inside == [2]
    assert torch.get_num_threads() == BEFORE


def test_same_outputs_whatever_n_threads(small_data, tiny):
    # One thread or two, or torch's: the same weights and outputs.
    X = small_data[0]
    fits = [_fit(tiny(SEWRegressor, n_threads=n), small_data) for n in (1, 2, None)]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.predict(X), fits[0].predict(X))


@pytest.mark.parametrize("value", [0, -1, 1.5, "all", "1"])
def test_invalid_values_are_rejected(small_data, tiny, value):
    with pytest.raises(InvalidParameterError, match="n_threads"):
        _fit(tiny(SEWRegressor, n_threads=value), small_data)


@pytest.mark.parametrize("value", [1, None, "auto"])
def test_get_params_clone_and_pickle_keep_n_threads(small_data, tiny, value):
    est = _fit(tiny(SEWRegressor, n_threads=value), small_data)
    assert est.get_params()["n_threads"] == value
    assert clone(est).n_threads == value
    assert clone(est.set_params(n_threads=2)).n_threads == 2
    assert pickle.loads(pickle.dumps(est)).n_threads == 2


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimators_pickled_before_n_threads_load_as_auto(
    seen, small_data, tiny, Estimator
):
    est = _fit(tiny(Estimator, n_threads=1), small_data)
    expected = _use(est, small_data[0])
    state = est.__getstate__()
    del state["n_threads"]  # as pickled by a sewlearn without the parameter
    old = Estimator.__new__(Estimator)
    old.__setstate__(state)
    assert old.get_params()["n_threads"] == "auto"
    assert _threads_in(seen, lambda: _use(old, small_data[0])) == {1}
    np.testing.assert_array_equal(_use(old, small_data[0]), expected)


def test_export_carries_n_threads_and_older_files_load_as_auto(
    small_data, tiny, tmp_path
):
    est = _fit(tiny(SEWRegressor, n_threads=1), small_data)
    export_model(est, tmp_path / "new.npz")
    assert load_model(tmp_path / "new.npz").n_threads == 1
    # A file written before the parameter existed: no n_threads in its params.
    with np.load(tmp_path / "new.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays.pop("__config__")))
    del config["params"]["n_threads"]
    np.savez(tmp_path / "old.npz", __config__=np.array(json.dumps(config)), **arrays)
    old = load_model(tmp_path / "old.npz")
    assert old.n_threads == "auto"
    np.testing.assert_array_equal(
        old.predict(small_data[0]), est.predict(small_data[0])
    )


def test_torch_threads_for_task_auto(monkeypatch):
    from sewlearn._parallel import AUTO_MIN_WORK, torch_threads_for_task

    original = torch.get_num_threads()
    torch.set_num_threads(BEFORE)
    try:
        with torch_threads_for_task("auto", work=AUTO_MIN_WORK - 1) as n:
            assert n == torch.get_num_threads() == 1
        assert torch.get_num_threads() == BEFORE
        with torch_threads_for_task("auto", work=AUTO_MIN_WORK) as n:
            assert n == torch.get_num_threads() == BEFORE
        with torch_threads_for_task("auto") as n:  # no size: a small pass
            assert n == 1
        monkeypatch.setattr(sewlearn._parallel, "dask_worker_nthreads", lambda: 2)
        with torch_threads_for_task("auto", work=AUTO_MIN_WORK) as n:
            assert n == torch.get_num_threads() == 1
        assert torch.get_num_threads() == BEFORE
    finally:
        torch.set_num_threads(original)
