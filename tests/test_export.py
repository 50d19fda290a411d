"""Pickle-free export and loading of every sewlearn estimator."""

import json

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression

from sewlearn import (
    DeepCCA,
    SEWClassifier,
    SEWRegressor,
    export_model,
    load_model,
)
from sewlearn._modules import DeployedSEW

SEW_FAST = dict(
    weak_hidden_layer_sizes=(8,),
    strong_hidden_layer_sizes=(4,),
    latent_dim=4,
    regressor_hidden_layer_sizes=(4,),
    n_cca_components=2,
    optimizer="adam",
    lr=1e-2,
    max_epochs=2,
    random_state=0,
)
DCCA_FAST = dict(
    n_components=2,
    x_hidden_layer_sizes=(8,),
    y_hidden_layer_sizes=(4,),
    latent_dim=4,
    max_epochs=2,
    random_state=0,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 5))
XS = rng.normal(size=(60, 3))
Y1 = X[:, 0] + 0.1 * rng.normal(size=60)
Y2 = np.column_stack([Y1, X[:, 1]])


def _roundtrip(estimator, tmp_path, **load_kwargs):
    path = tmp_path / "model.npz"
    export_model(estimator, path)
    with np.load(path, allow_pickle=False) as archive:  # no object arrays inside
        assert "__config__" in archive.files
    return load_model(path, **load_kwargs)


@pytest.mark.parametrize("y", [Y1, Y2], ids=["1d", "2d"])
def test_regressor_roundtrip(y, tmp_path):
    sew = SEWRegressor(**SEW_FAST).fit(X, y, X_strong=XS)
    loaded = _roundtrip(sew, tmp_path)
    assert type(loaded) is SEWRegressor
    pred = loaded.predict(X)
    assert pred.shape == y.shape
    np.testing.assert_array_equal(pred, sew.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), sew.transform(X))
    assert loaded.get_params() == sew.get_params()
    assert loaded.n_outputs_ == sew.n_outputs_ == y.reshape(len(y), -1).shape[1]
    assert loaded.n_features_in_ == 5
    assert loaded.n_features_strong_ == 3
    assert loaded.n_iter_ == 2


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, -7]),
        np.array([0, 1, 2], dtype=np.uint8),
        np.array(["cat", "dog", "emu"]),
        np.array(["no", "yes"], dtype=object),
        np.array([False, True]),
        np.array([0.0, 2.0]),
    ],
    ids=["int", "uint8", "str", "object-str", "bool", "float"],
)
def test_classifier_roundtrip(labels, tmp_path):
    y = labels[np.arange(len(X)) % len(labels)]
    clf = SEWClassifier(**SEW_FAST).fit(X, y, X_strong=XS)
    loaded = _roundtrip(clf, tmp_path)
    assert type(loaded) is SEWClassifier
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert loaded.classes_.dtype.kind == labels.dtype.kind
    pred = loaded.predict(X)
    np.testing.assert_array_equal(pred, clf.predict(X))
    assert pred.dtype == clf.predict(X).dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.transform(X), clf.transform(X))
    assert loaded.score(X, y) == clf.score(X, y)
    assert loaded.get_params() == clf.get_params()


def test_classifier_with_unexportable_labels_raises(tmp_path):
    clf = SEWClassifier(**SEW_FAST).fit(X, np.arange(len(X)) % 2)
    clf.classes_ = np.array([b"a", b"b"])
    with pytest.raises(TypeError, match="cannot be exported"):
        export_model(clf, tmp_path / "bytes.npz")


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("y_view", [XS, XS[:, 0]], ids=["2d", "1d"])
def test_deepcca_roundtrip(scale, y_view, tmp_path):
    dcca = DeepCCA(**DCCA_FAST, scale=scale).fit(X, y_view)
    loaded = _roundtrip(dcca, tmp_path)
    assert type(loaded) is DeepCCA
    X_c = loaded.transform(X)
    assert X_c.shape == (60, 2)
    np.testing.assert_array_equal(X_c, dcca.transform(X))
    for got, want in zip(loaded.transform(X, y_view), dcca.transform(X, y_view)):
        np.testing.assert_array_equal(got, want)
    assert loaded.score(X, y_view) == dcca.score(X, y_view)
    np.testing.assert_array_equal(
        loaded.canonical_correlations_, dcca.canonical_correlations_
    )
    np.testing.assert_array_equal(
        loaded.get_feature_names_out(), ["deepcca0", "deepcca1"]
    )
    assert loaded.get_params() == dcca.get_params()
    assert loaded.n_features_y_ == dcca.n_features_y_
    assert next(loaded.module_.parameters()).dtype == torch.float64


def test_deepcca_default_latent_dim_and_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    dcca = DeepCCA(**{**DCCA_FAST, "latent_dim": None}).fit(frame, XS)
    loaded = _roundtrip(dcca, tmp_path)
    assert loaded.get_params()["latent_dim"] is None
    assert loaded.module_.x_encoder[-1].out_features == 10
    np.testing.assert_array_equal(loaded.feature_names_in_, dcca.feature_names_in_)
    np.testing.assert_array_equal(loaded.transform(frame), dcca.transform(frame))


def test_deepcca_file_missing_a_fitted_array_raises(tmp_path):
    dcca = DeepCCA(**DCCA_FAST).fit(X, XS)
    export_model(dcca, tmp_path / "dcca.npz")
    with np.load(tmp_path / "dcca.npz", allow_pickle=False) as archive:
        arrays = {k: v for k, v in archive.items() if "x_code_rotations_" not in k}
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(ValueError, match="missing \\['x_code_rotations_'\\]"):
        load_model(tmp_path / "broken.npz")


def test_other_estimators_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match="SEWRegressor, SEWClassifier and DeepCCA"):
        export_model(LinearRegression().fit(X, Y1), tmp_path / "lr.npz")
    with pytest.raises(TypeError, match="got str"):
        export_model("model", tmp_path / "str.npz")

    class MySEW(SEWRegressor):
        pass

    with pytest.raises(TypeError, match="got MySEW"):
        export_model(MySEW(**SEW_FAST).fit(X, Y1), tmp_path / "sub.npz")


@pytest.mark.parametrize(
    "estimator", [SEWRegressor(), SEWClassifier(), DeepCCA()], ids=type
)
def test_unfitted_estimators_raise_not_fitted(estimator, tmp_path):
    with pytest.raises(NotFittedError):
        export_model(estimator, tmp_path / "unfitted.npz")
    assert not (tmp_path / "unfitted.npz").exists()


def test_random_state_instance_is_stored_as_none(tmp_path):
    random_state = np.random.RandomState(0)
    sew = SEWRegressor(**{**SEW_FAST, "random_state": random_state}).fit(X, Y1)
    loaded = _roundtrip(sew, tmp_path)
    params = loaded.get_params()
    assert params["random_state"] is None
    assert params == {**sew.get_params(), "random_state": None}
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))

    dcca = DeepCCA(**{**DCCA_FAST, "random_state": random_state}).fit(X, XS)
    loaded = _roundtrip(dcca, tmp_path)
    assert loaded.get_params() == {**dcca.get_params(), "random_state": None}
    np.testing.assert_array_equal(loaded.transform(X), dcca.transform(X))


@pytest.mark.parametrize(
    "value, stored",
    [
        (np.random.RandomState(0), None),
        (np.random.default_rng(0), None),
        (print, None),
        (float("nan"), None),
        ((1, np.inf), None),
        ({1: 2}, None),
        (b"bytes", None),
        (np.int32(3), 3),
        (np.bool_(True), True),
        (np.array([[1, 2]]), [[1, 2]]),
        ({"a": (np.float64(0.5), "x")}, {"a": [0.5, "x"]}),
    ],
)
def test_json_safe_rule(value, stored):
    from sewlearn._export import _json_safe

    got = _json_safe(value)
    assert got == stored
    assert type(got) is type(stored)


def test_numpy_params_are_stored_as_python_values(tmp_path):
    params = {
        **SEW_FAST,
        "latent_dim": np.int64(4),
        "weak_hidden_layer_sizes": np.array([8]),
        "lr": np.float32(0.01),
        "strong_hidden_layer_sizes": {"a": [4], "b": (2,)},
    }
    sew = SEWRegressor(**params).fit(X, Y1, X_strong={"a": XS, "b": XS[:, :2]})
    loaded = _roundtrip(sew, tmp_path)
    got = loaded.get_params()
    assert got["latent_dim"] == 4 and type(got["latent_dim"]) is int
    assert got["weak_hidden_layer_sizes"] == (8,)
    assert got["lr"] == float(np.float32(0.01))
    assert got["strong_hidden_layer_sizes"] == {"a": (4,), "b": (2,)}
    assert loaded.n_features_strong_ == {"a": 3, "b": 2}
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))


def test_version_1_files_still_load(tmp_path):
    # What export_model wrote before format version 2 (SEWRegressor only).
    sew = SEWRegressor(**SEW_FAST).fit(X, Y2)
    params = {
        k: list(v) if isinstance(v, tuple) else v for k, v in sew.get_params().items()
    }
    config = {
        "format": "sewlearn-deployed",
        "format_version": 1,
        "estimator": "SEWRegressor",
        "params": params,
        "n_features_in": 5,
        "n_outputs": 2,
        "y_1d": False,
        "feature_names_in": None,
    }
    arrays = {
        k: v.numpy().astype(np.float32) for k, v in sew.module_.state_dict().items()
    }
    np.savez(tmp_path / "v1.npz", __config__=np.array(json.dumps(config)), **arrays)
    loaded = load_model(tmp_path / "v1.npz")
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))
    assert loaded.get_params() == sew.get_params()

    config["estimator"] = "SEWClassifier"  # version 1 knew no classifier
    np.savez(tmp_path / "v1c.npz", __config__=np.array(json.dumps(config)), **arrays)
    with pytest.raises(ValueError, match="unknown estimator 'SEWClassifier'"):
        load_model(tmp_path / "v1c.npz")


def test_newer_format_versions_are_refused(tmp_path):
    sew = SEWRegressor(**SEW_FAST).fit(X, Y1)
    export_model(sew, tmp_path / "sew.npz")
    with np.load(tmp_path / "sew.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays["__config__"]))
    assert config["format_version"] == 2
    config["format_version"] = 3
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(tmp_path / "v3.npz", **arrays)
    with pytest.raises(ValueError, match="unsupported format .* version 3"):
        load_model(tmp_path / "v3.npz")


def test_loaded_device_param_names_where_the_weights_are(tmp_path):
    sew = SEWRegressor(**SEW_FAST).fit(X, Y1)
    sew.set_params(device="cuda")  # as if fitted on a GPU
    path = tmp_path / "sew.npz"
    export_model(sew, path)

    for loaded in (load_model(path), load_model(path, device="cpu")):
        assert loaded.get_params()["device"] == "cpu"
        assert next(loaded.module_.parameters()).device.type == "cpu"
        np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))

    # Any torch device: "meta" holds no data but shows where the weights went.
    on_meta = load_model(path, device="meta")
    assert on_meta.get_params()["device"] == "meta"
    assert {p.device.type for p in on_meta.module_.parameters()} == {"meta"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_load_on_cuda(tmp_path):
    sew = SEWRegressor(**SEW_FAST).fit(X, Y1)
    dcca = DeepCCA(**DCCA_FAST).fit(X, XS)
    export_model(sew, tmp_path / "sew.npz")
    export_model(dcca, tmp_path / "dcca.npz")
    on_gpu = load_model(tmp_path / "sew.npz", device="cuda")
    assert on_gpu.get_params()["device"] == "cuda"
    assert next(on_gpu.module_.parameters()).is_cuda
    np.testing.assert_allclose(on_gpu.predict(X), sew.predict(X), rtol=1e-5, atol=1e-6)
    dcca_gpu = load_model(tmp_path / "dcca.npz", device="cuda")
    assert next(dcca_gpu.module_.parameters()).is_cuda
    np.testing.assert_allclose(
        dcca_gpu.transform(X), dcca.transform(X), rtol=1e-7, atol=1e-9
    )


def test_deployed_sew_has_no_dead_encode():
    # The estimators call module_.weak_encoder directly; encode() was unused.
    assert not hasattr(DeployedSEW, "encode")
