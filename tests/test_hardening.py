"""Bad input, persistence without pickle, devices, determinism, threads."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sewlearn import SEWRegressor, export_model, load_model

FAST = dict(
    weak_hidden_layer_sizes=(16,),
    strong_hidden_layer_sizes=(8,),
    latent_dim=4,
    regressor_hidden_layer_sizes=(8,),
    n_cca_components=2,
    optimizer="adam",
    lr=1e-2,
    max_epochs=3,
    random_state=0,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 5))
XS = rng.normal(size=(60, 3))
Y = X[:, 0] + 0.1 * rng.normal(size=60)


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


# (name, fit arguments, exception type, message pattern naming the argument)
BAD_FIT = [
    ("nan in X", dict(X=_with(X, (0, 0), np.nan)), ValueError, "X.*NaN"),
    ("inf in X", dict(X=_with(X, (1, 1), np.inf)), ValueError, "X.*infinity"),
    (
        "nan in X_strong",
        dict(X_strong=_with(XS, (0, 0), np.nan)),
        ValueError,
        "X_strong.*NaN",
    ),
    (
        "inf in X_strong",
        dict(X_strong=_with(XS, (0, 0), -np.inf)),
        ValueError,
        "X_strong.*infinity",
    ),
    # NaN marks an unlabeled row: refused without X_strong, used with it.
    (
        "nan in y without X_strong",
        dict(y=_with(Y, 3, np.nan), X_strong=None),
        ValueError,
        "y.*NaN.*X_strong",
    ),
    ("nan in y with X_strong", dict(y=_with(Y, 3, np.nan)), None, None),
    ("all y nan", dict(y=np.full(60, np.nan)), ValueError, "y has no labeled row"),
    ("inf in y", dict(y=_with(Y, 3, np.inf)), ValueError, "y.*infinity"),
    (
        "rows X vs X_strong",
        dict(X_strong=XS[:50]),
        ValueError,
        "X_strong has 50 samples but X has 60",
    ),
    ("rows X vs y", dict(y=Y[:50]), ValueError, "inconsistent numbers of samples"),
    ("1-D X", dict(X=X[:, 0]), ValueError, "Expected 2D array"),
    ("1-D X_strong", dict(X_strong=XS[:, 0]), ValueError, "X_strong must be 2-D"),
    (
        "X_strong list mixing 2-D and 1-D",
        dict(X_strong=[XS, XS[:, 0]]),
        ValueError,
        "X_strong: a list or tuple of strong modalities must hold 2-D arrays",
    ),
    ("X_strong as a list of rows", dict(X_strong=list(XS)), None, None),
    ("empty X", dict(X=X[:0], X_strong=XS[:0], y=Y[:0]), ValueError, "0 sample"),
    ("single sample", dict(X=X[:1], X_strong=XS[:1], y=Y[:1]), ValueError, "1 sample"),
    ("strings in X", dict(X=np.full((60, 5), "a")), ValueError, "X must be numeric"),
    (
        "strings in X_strong",
        dict(X_strong=np.full((60, 3), "a")),
        ValueError,
        "X_strong must be numeric",
    ),
    ("object X", dict(X=X.astype(object)), None, None),  # numeric objects: fine
    ("sparse X", dict(X=sp.csr_matrix(X)), TypeError, "[Ss]parse"),
    ("sparse X_strong", dict(X_strong=sp.csr_matrix(XS)), TypeError, "[Ss]parse"),
    ("string y", dict(y=np.array(["a"] * 60)), ValueError, "y must be numeric"),
]


@pytest.mark.parametrize(
    "name, override, error, match", BAD_FIT, ids=[b[0] for b in BAD_FIT]
)
def test_bad_fit_input(name, override, error, match):
    args = dict(X=X, y=Y, X_strong=XS)
    args.update(override)
    sew = SEWRegressor(**FAST)
    if error is None:
        sew.fit(args["X"], args["y"], X_strong=args["X_strong"])
        assert np.isfinite(sew.predict(X)).all()
        return
    with pytest.raises(error, match=match):
        sew.fit(args["X"], args["y"], X_strong=args["X_strong"])


@pytest.fixture(scope="module")
def fitted():
    return SEWRegressor(**FAST).fit(X, Y, X_strong=XS)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (X[:, :4], ValueError, "X has 4 features, but SEWRegressor is expecting 5"),
        (X[:, 0], ValueError, "Expected 2D array"),
        (_with(X, (0, 0), np.nan), ValueError, "X.*NaN"),
        (X[:0], ValueError, "0 sample"),
        (sp.csr_matrix(X), TypeError, "[Ss]parse"),
    ],
)
def test_bad_predict_input(fitted, bad, error, match):
    with pytest.raises(error, match=match):
        fitted.predict(bad)


def test_predict_takes_no_strong_modality(fitted):
    with pytest.raises(TypeError, match="X_strong"):
        fitted.predict(X, X_strong=XS)


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SEWRegressor().predict(X)


def test_export_and_load_without_pickle(fitted, tmp_path):
    path = tmp_path / "sew.npz"
    export_model(fitted, path)
    with np.load(path, allow_pickle=False) as archive:  # no object arrays inside
        assert "__config__" in archive.files
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.get_params() == fitted.get_params()


def test_load_refuses_mismatched_files(fitted, tmp_path):
    path = tmp_path / "sew.npz"
    export_model(fitted, path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = dict(archive)
    name = next(k for k in arrays if k.endswith("weight"))
    bad_shape = dict(arrays, **{name: np.zeros((3, 3), np.float32)})
    np.savez(tmp_path / "shape.npz", **bad_shape)
    with pytest.raises(ValueError, match=f"weight '{name}' has shape"):
        load_model(tmp_path / "shape.npz")
    missing = {k: v for k, v in arrays.items() if k != name}
    np.savez(tmp_path / "missing.npz", **missing)
    with pytest.raises(ValueError, match="missing"):
        load_model(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a sewlearn model export"):
        load_model(tmp_path / "other.npz")


def test_model_fitted_for_cuda_loads_on_cpu_only_machine(fitted, monkeypatch):
    # A model trained with device="cuda" is pickled with CPU weights
    # (__getstate__); on a machine without CUDA it stays on the CPU.
    sew = pickle.loads(pickle.dumps(fitted))
    sew.device = "cuda"
    payload = pickle.dumps(sew)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = pickle.loads(payload)
    assert next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_same_seed_same_weights_whatever_the_thread_count():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = SEWRegressor(**FAST).fit(X, Y, X_strong=XS)
        torch.set_num_threads(2)
        b = SEWRegressor(**FAST).fit(X, Y, X_strong=XS)
    finally:
        torch.set_num_threads(before)
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters()):
        assert torch.equal(pa, pb)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_random_state_none_varies():
    params = {**FAST, "random_state": None}
    p1 = SEWRegressor(**params).fit(X, Y, X_strong=XS).predict(X)
    p2 = SEWRegressor(**params).fit(X, Y, X_strong=XS).predict(X)
    assert not np.allclose(p1, p2)


def test_fit_leaves_global_torch_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SEWRegressor(**FAST).fit(X, Y, X_strong=XS)
    assert torch.equal(torch.rand(3), expected)


def test_predict_from_several_threads(fitted):
    expected = fitted.predict(X)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: fitted.predict(X), range(16)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


# -- the same table for DeepCCA and the metrics --------------------------------

DCCA_FAST = dict(
    n_components=2,
    x_hidden_layer_sizes=(8,),
    y_hidden_layer_sizes=(8,),
    latent_dim=4,
    max_epochs=2,
    random_state=0,
)

BAD_DEEPCCA = [
    ("nan in X", dict(X=_with(X, (0, 0), np.nan)), ValueError, "X.*NaN"),
    ("inf in y", dict(y=_with(XS, (0, 0), np.inf)), ValueError, "y.*infinity"),
    ("rows X vs y", dict(y=XS[:50]), ValueError, "inconsistent numbers of samples"),
    ("1-D X", dict(X=X[:, 0]), ValueError, "Expected 2D array"),
    ("empty", dict(X=X[:0], y=XS[:0]), ValueError, "0 sample"),
    ("sparse X", dict(X=sp.csr_matrix(X)), TypeError, "[Ss]parse"),
    ("strings in X", dict(X=np.full((60, 5), "a")), ValueError, "convert"),
]


@pytest.mark.parametrize(
    "name, override, error, match", BAD_DEEPCCA, ids=[b[0] for b in BAD_DEEPCCA]
)
def test_bad_deepcca_input(name, override, error, match):
    from sewlearn import DeepCCA

    args = dict(X=X, y=XS)
    args.update(override)
    with pytest.raises(error, match=match):
        DeepCCA(**DCCA_FAST).fit(args["X"], args["y"])


def test_deepcca_wrong_feature_count_at_transform():
    from sewlearn import DeepCCA

    dcca = DeepCCA(**DCCA_FAST).fit(X, XS)
    with pytest.raises(ValueError, match="X has 4 features"):
        dcca.transform(X[:, :4])
    with pytest.raises(ValueError, match="y has 2 features|2 features"):
        dcca.transform(X, XS[:, :2])


BAD_METRIC = [
    ("inf in y_true", dict(y_true=_with(Y, 0, np.inf)), "y_true"),
    # NaN is an unlabeled entry (left out); all NaN leaves nothing to score.
    ("all nan y_true", dict(y_true=np.full(60, np.nan)), "y_true"),
    ("inf in y_pred", dict(y_pred=_with(Y, 0, np.inf)), "y_pred"),
    ("rows", dict(y_pred=Y[:50]), "y_pred|y_true"),
    ("empty", dict(y_true=Y[:0], y_pred=Y[:0]), "sample"),
    ("strings", dict(y_true=np.array(["a"] * 60)), "y_true|convert"),
    ("bad sample_weight", dict(sample_weight=-np.ones(60)), "sample_weight"),
    ("bad multioutput", dict(multioutput="median"), "multioutput"),
]


@pytest.mark.parametrize("metric", ["ccc_score", "binary_accuracy_score"])
@pytest.mark.parametrize(
    "name, override, match", BAD_METRIC, ids=[b[0] for b in BAD_METRIC]
)
def test_bad_metric_input(metric, name, override, match):
    import sewlearn

    args = dict(y_true=Y, y_pred=Y + 0.1)
    args.update(override)
    with pytest.raises(ValueError, match=match):
        getattr(sewlearn, metric)(**args)
