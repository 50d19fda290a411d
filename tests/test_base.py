"""sewlearn._base: what every torch estimator does alike.

Seeded train-then-prune, chunked inference, the fitted state, pickling, the
training parameters and the tags, checked on SEWRegressor, SEWClassifier and
DeepCCA alike.
"""

import contextlib
import inspect
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import sewlearn._base
from sewlearn import DeepCCA, SEWClassifier, SEWRegressor
from sewlearn._sew import _BaseSEW

ESTIMATORS = [SEWRegressor, SEWClassifier, DeepCCA]


def _fit(estimator, data):
    X, Xs, y = data
    if isinstance(estimator, DeepCCA):
        return estimator.fit(X, Xs)
    if isinstance(estimator, SEWClassifier):
        return estimator.fit(X, np.where(y > 0, "up", "down"), X_strong=Xs)
    return estimator.fit(X, y, X_strong=Xs)


def _output(estimator, X):
    """What the estimator is for: predictions, probabilities or variates."""
    if isinstance(estimator, SEWClassifier):
        return estimator.predict_proba(X)
    if isinstance(estimator, SEWRegressor):
        return estimator.predict(X)
    return estimator.transform(X)


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda c: c.__name__)
def fitted(request, small_data, tiny):
    return _fit(tiny(request.param), small_data)


# -- seeded train-then-prune -------------------------------------------------------


def test_only_the_deployed_module_is_kept(fitted):
    assert not fitted.module_.training
    assert not any(p.requires_grad for p in fitted.module_.parameters())
    assert fitted.n_iter_ == len(fitted.history_) == fitted.max_epochs
    assert all("batches" not in row for row in fitted.history_)
    assert not hasattr(fitted, "optimizer_")


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_same_random_state_same_output(small_data, tiny, estimator):
    X = small_data[0]
    a = _output(_fit(tiny(estimator), small_data), X)
    b = _output(_fit(tiny(estimator), small_data), X)
    other = _output(_fit(tiny(estimator, random_state=1), small_data), X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, other)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_random_state_none_varies(small_data, tiny, estimator):
    X = small_data[0]
    a = _output(_fit(tiny(estimator, random_state=None), small_data), X)
    b = _output(_fit(tiny(estimator, random_state=None), small_data), X)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_fit_leaves_global_torch_rng_alone(small_data, tiny, estimator):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _fit(tiny(estimator), small_data)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_same_seed_same_weights_whatever_the_thread_count(small_data, tiny, estimator):
    before = torch.get_num_threads()
    try:  # n_threads=None: the fits run with torch's setting
        torch.set_num_threads(1)
        a = _fit(tiny(estimator, n_threads=None), small_data)
        torch.set_num_threads(2)
        b = _fit(tiny(estimator, n_threads=None), small_data)
    finally:
        torch.set_num_threads(before)
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters()):
        assert torch.equal(pa, pb)
    X = small_data[0]
    np.testing.assert_array_equal(_output(a, X), _output(b, X))


def test_seeding_restores_every_cuda_generator(monkeypatch):
    # torch.manual_seed reseeds every CUDA device's generator, so fork_rng must
    # save and restore all of them, not only the training device's.
    from sewlearn._base import seeded_torch

    calls = []

    @contextlib.contextmanager
    def recording_fork_rng(devices=(), **kwargs):
        calls.append(list(devices))
        yield

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: None)
    monkeypatch.setattr(torch.random, "fork_rng", recording_fork_rng)
    with seeded_torch(0):
        pass
    assert calls == [[0, 1, 2]]


# -- the fitted state --------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_unfitted_estimators_raise_not_fitted(small_data, estimator):
    X = small_data[0]
    with pytest.raises(NotFittedError):
        _output(estimator(), X)
    with pytest.raises(NotFittedError):
        estimator().transform(X)
    with pytest.raises(NotFittedError):
        estimator().get_feature_names_out()


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_failed_fit_leaves_the_estimator_unfitted(small_data, tiny, estimator):
    # K above the code width is found after validate_data set n_features_in_.
    too_many = "n_components" if estimator is DeepCCA else "n_cca_components"
    est = _fit(tiny(estimator), small_data)
    est.set_params(**{too_many: 5})  # latent_dim=4
    with pytest.raises(ValueError, match=f"{too_many}=5 must be at most"):
        _fit(est, small_data)
    assert not [name for name in vars(est) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        _output(est, small_data[0])


# -- chunked inference -------------------------------------------------------------


def test_inference_in_chunks_equals_one_pass(fitted, small_data, monkeypatch):
    X = small_data[0]
    whole = _output(fitted, X)
    codes = fitted.transform(X)
    monkeypatch.setattr(sewlearn._base, "PREDICT_CHUNK", 7)
    # float32 networks may round the last bit differently in smaller batches.
    np.testing.assert_allclose(_output(fitted, X), whole, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fitted.transform(X), codes, rtol=1e-6, atol=1e-7)


def test_predict_from_several_threads(fitted, small_data):
    X = small_data[0]
    expected = _output(fitted, X)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _output(fitted, X), range(16)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_feature_names_out_name_the_columns_of_transform(fitted, small_data):
    X = small_data[0]
    names = fitted.get_feature_names_out()
    prefix = type(fitted).__name__.lower()
    assert list(names) == [f"{prefix}{i}" for i in range(fitted.transform(X).shape[1])]


# -- pickling ----------------------------------------------------------------------


def test_model_fitted_for_cuda_loads_on_cpu_only_machine(
    fitted, small_data, monkeypatch
):
    # A model trained with device="cuda" is pickled with CPU weights
    # (__getstate__); on a machine without CUDA it stays on the CPU.
    est = pickle.loads(pickle.dumps(fitted))
    est.device = "cuda"
    payload = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(payload)
    assert next(restored.module_.parameters()).device.type == "cpu"
    X = small_data[0]
    np.testing.assert_array_equal(_output(restored, X), _output(fitted, X))


# -- parameters and tags -----------------------------------------------------------


def test_regressor_signature_is_the_sew_signature_and_its_loss():
    sew = inspect.signature(_BaseSEW.__init__).parameters
    regressor = inspect.signature(SEWRegressor.__init__).parameters
    assert list(regressor) == [*sew, "prediction_loss", "standardize_target"]
    assert regressor["prediction_loss"].default == "mse"
    assert regressor["standardize_target"].default is True
    classifier = inspect.signature(SEWClassifier.__init__).parameters
    assert list(classifier) == list(sew)
    # The classifier's own default, in the parent's place.
    assert sew["optimizer"].default == "sgd"
    assert classifier["optimizer"].default == "adam"
    assert SEWClassifier().get_params()["optimizer"] == "adam"
    est = SEWRegressor(prediction_loss="ccc", latent_dim=3)
    params = clone(est).get_params()
    assert params["prediction_loss"] == "ccc" and params["latent_dim"] == 3
    assert "SEWRegressor(latent_dim=3, prediction_loss='ccc')" == repr(est)
    with pytest.raises(TypeError, match="no_such_parameter"):
        SEWRegressor(no_such_parameter=1)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "param, value",
    [("lr", 0.0), ("batch_size", 0), ("optimizer", "lbfgs"), ("momentum", 1.0)],
)
def test_training_parameters_are_checked_alike(small_data, estimator, param, value):
    with pytest.raises(
        ValueError, match=f"'{param}' parameter of {estimator.__name__}"
    ):
        _fit(estimator(**{param: value}), small_data)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_tags(estimator):
    tags = estimator().__sklearn_tags__()
    assert not tags.input_tags.allow_nan and not tags.input_tags.sparse
    assert tags.target_tags.required
