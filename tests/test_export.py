"""sewlearn._export: pickle-free export and loading of every sewlearn estimator."""

import json

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import (
    DeepCCA,
    DistilledClassifier,
    DistilledRegressor,
    SEWClassifier,
    SEWRegressor,
    export_model,
    load_model,
)


@pytest.fixture(scope="module")
def data(small_data):
    """``X``, ``X_strong``, a 1-D target and a 2-D one (60 rows)."""
    X, XS, Y1 = small_data
    return X, XS, Y1, np.column_stack([Y1, X[:, 1]])


def _roundtrip(estimator, tmp_path, **load_kwargs):
    path = tmp_path / "model.npz"
    export_model(estimator, path)
    with np.load(path, allow_pickle=False) as archive:  # no object arrays inside
        assert "__config__" in archive.files
    return load_model(path, **load_kwargs)


@pytest.mark.parametrize("target", ["1d", "2d"])
def test_regressor_roundtrip(data, tiny, target, tmp_path):
    X, XS, Y1, Y2 = data
    y = Y1 if target == "1d" else Y2
    sew = tiny(SEWRegressor, max_epochs=2).fit(X, y, X_strong=XS)
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
def test_classifier_roundtrip(data, tiny, labels, tmp_path):
    X, XS, _, _ = data
    y = labels[np.arange(len(X)) % len(labels)]
    clf = tiny(SEWClassifier).fit(X, y, X_strong=XS)
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


def test_classifier_with_unexportable_labels_raises(data, tiny, tmp_path):
    X = data[0]
    clf = tiny(SEWClassifier).fit(X, np.arange(len(X)) % 2)
    clf.classes_ = np.array([b"a", b"b"])
    with pytest.raises(TypeError, match="cannot be exported"):
        export_model(clf, tmp_path / "bytes.npz")


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("view", ["2d", "1d"])
def test_deepcca_roundtrip(data, tiny, scale, view, tmp_path):
    X, XS, _, _ = data
    y_view = XS if view == "2d" else XS[:, 0]
    dcca = tiny(DeepCCA, scale=scale).fit(X, y_view)
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


def test_deepcca_default_latent_dim_and_feature_names(data, tiny, tmp_path):
    X, XS, _, _ = data
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    dcca = tiny(DeepCCA, latent_dim=None).fit(frame, XS)
    loaded = _roundtrip(dcca, tmp_path)
    assert loaded.get_params()["latent_dim"] is None
    assert loaded.module_.x_encoder[-1].out_features == 10
    np.testing.assert_array_equal(loaded.feature_names_in_, dcca.feature_names_in_)
    np.testing.assert_array_equal(loaded.transform(frame), dcca.transform(frame))


def test_deepcca_file_missing_a_fitted_array_raises(data, tiny, tmp_path):
    X, XS, _, _ = data
    dcca = tiny(DeepCCA).fit(X, XS)
    export_model(dcca, tmp_path / "dcca.npz")
    with np.load(tmp_path / "dcca.npz", allow_pickle=False) as archive:
        arrays = {k: v for k, v in archive.items() if "x_code_rotations_" not in k}
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(ValueError, match="missing \\['x_code_rotations_'\\]"):
        load_model(tmp_path / "broken.npz")


def test_other_estimators_raise_type_error(data, tiny, tmp_path):
    X, _, Y1, _ = data
    supported = "SEWRegressor, SEWClassifier, DeepCCA, DistilledRegressor and Dis"
    with pytest.raises(TypeError, match=supported):
        export_model(LinearRegression().fit(X, Y1), tmp_path / "lr.npz")
    with pytest.raises(TypeError, match="got str"):
        export_model("model", tmp_path / "str.npz")

    class MySEW(SEWRegressor):
        pass

    with pytest.raises(TypeError, match="got MySEW"):
        export_model(tiny(MySEW).fit(X, Y1), tmp_path / "sub.npz")


@pytest.mark.parametrize(
    "estimator", [SEWRegressor(), SEWClassifier(), DeepCCA()], ids=type
)
def test_unfitted_estimators_raise_not_fitted(estimator, tmp_path):
    with pytest.raises(NotFittedError):
        export_model(estimator, tmp_path / "unfitted.npz")
    assert not (tmp_path / "unfitted.npz").exists()


def test_random_state_instance_is_stored_as_none(data, tiny, tmp_path):
    X, XS, Y1, _ = data
    random_state = np.random.RandomState(0)
    sew = tiny(SEWRegressor, random_state=random_state).fit(X, Y1)
    loaded = _roundtrip(sew, tmp_path)
    params = loaded.get_params()
    assert params["random_state"] is None
    assert params == {**sew.get_params(), "random_state": None}
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))

    dcca = tiny(DeepCCA, random_state=random_state).fit(X, XS)
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


def test_numpy_params_are_stored_as_python_values(data, tiny, tmp_path):
    X, XS, Y1, _ = data
    params = {
        "latent_dim": np.int64(4),
        "weak_hidden_layer_sizes": np.array([8]),
        "lr": np.float32(0.01),
        "strong_hidden_layer_sizes": {"a": [4], "b": (2,)},
    }
    sew = tiny(SEWRegressor, **params).fit(X, Y1, X_strong={"a": XS, "b": XS[:, :2]})
    loaded = _roundtrip(sew, tmp_path)
    got = loaded.get_params()
    assert got["latent_dim"] == 4 and type(got["latent_dim"]) is int
    assert got["weak_hidden_layer_sizes"] == (8,)
    assert got["lr"] == float(np.float32(0.01))
    assert got["strong_hidden_layer_sizes"] == {"a": (4,), "b": (2,)}
    assert loaded.n_features_strong_ == {"a": 3, "b": 2}
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))


def _with_old_names(params):
    """``params`` as formats 1 and 2 stored them: the head under old names, and
    no ``sequence_length`` (format 4)."""
    old = {
        "head": "regressor",
        "head_hidden_layer_sizes": "regressor_hidden_layer_sizes",
    }
    return {
        old.get(k, k): list(v) if isinstance(v, tuple) else v
        for k, v in params.items()
        if k not in ("sequence_length", "standardize_target")
    }


def test_version_1_files_still_load(data, tiny, tmp_path):
    # What export_model wrote before format version 2 (SEWRegressor only).
    X, _, _, Y2 = data
    # Files before version 5 hold regressors trained on raw targets.
    sew = tiny(SEWRegressor, head="gru", standardize_target=False).fit(X, Y2)
    params = _with_old_names(sew.get_params())
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


@pytest.mark.parametrize("estimator", [SEWRegressor, SEWClassifier])
def test_version_2_files_with_the_old_head_names_still_load(
    data, tiny, estimator, tmp_path
):
    # Format 2 stored the head parameters as regressor and
    # regressor_hidden_layer_sizes; loading maps them to the new names.
    X, XS, Y1, _ = data
    y = Y1 if estimator is SEWRegressor else np.where(Y1 > 0, "up", "down")
    raw = {"standardize_target": False} if estimator is SEWRegressor else {}
    sew = tiny(estimator, head="gru", head_hidden_layer_sizes=(3, 5), **raw)
    sew.fit(X, y, X_strong=XS)
    export_model(sew, tmp_path / "v3.npz")
    with np.load(tmp_path / "v3.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays["__config__"]))
    assert config["format_version"] == 5
    assert config["params"]["head"] == "gru"
    config["format_version"] = 2
    config["params"] = _with_old_names(config["params"])
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(tmp_path / "v2.npz", **arrays)
    loaded = load_model(tmp_path / "v2.npz")
    assert loaded.get_params() == sew.get_params()
    np.testing.assert_array_equal(loaded.transform(X), sew.transform(X))
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))


def test_newer_format_versions_are_refused(data, tiny, tmp_path):
    X, _, Y1, _ = data
    sew = tiny(SEWRegressor).fit(X, Y1)
    export_model(sew, tmp_path / "sew.npz")
    with np.load(tmp_path / "sew.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays["__config__"]))
    assert config["format_version"] == 5  # version 6 only adds distilled ones
    config["format_version"] = 7
    arrays["__config__"] = np.array(json.dumps(config))
    np.savez(tmp_path / "v7.npz", **arrays)
    with pytest.raises(
        ValueError, match=r"v7\.npz: written by a newer sewlearn .*upgrade sewlearn"
    ):
        load_model(tmp_path / "v7.npz")


def test_loaded_device_param_names_where_the_weights_are(data, tiny, tmp_path):
    X, _, Y1, _ = data
    sew = tiny(SEWRegressor).fit(X, Y1)
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
def test_load_on_cuda(data, tiny, tmp_path):
    X, XS, Y1, _ = data
    sew = tiny(SEWRegressor).fit(X, Y1)
    dcca = tiny(DeepCCA).fit(X, XS)
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


# -- the files themselves --------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(data, tiny):
    X, XS, Y1, _ = data
    return tiny(SEWRegressor, max_epochs=3).fit(X, Y1, X_strong=XS)


def test_export_and_load_without_pickle(data, fitted, tmp_path):
    X = data[0]
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


def _edited(fitted, tmp_path, edit):
    """An export of ``fitted`` whose config ``edit`` changed in place."""
    export_model(fitted, tmp_path / "sew.npz")
    with np.load(tmp_path / "sew.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    config = json.loads(str(arrays["__config__"]))
    edit(config)
    arrays["__config__"] = np.array(json.dumps(config))
    path = tmp_path / "edited.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        # unknown parameter: a TypeError without the file name before
        (lambda c: c["params"].update(colour="red"), "unexpected keyword.*colour"),
        # missing key, unknown activation: KeyErrors before
        (lambda c: c.pop("n_outputs"), "no entry 'n_outputs'"),
        (lambda c: c["params"].update(activation="swish"), "activation"),
        # never validated before: these loaded
        (lambda c: c["params"].update(head="transformer"), "'head' parameter"),
        (lambda c: c["params"].update(alpha="abc"), "'alpha' parameter"),
    ],
)
def test_load_model_on_an_edited_file_names_it(fitted, tmp_path, edit, message):
    path = _edited(fitted, tmp_path, edit)
    with pytest.raises(ValueError, match=rf"edited\.npz: .*{message}"):
        load_model(path)


def test_load_model_on_a_npy_file_names_it(tmp_path):
    np.save(tmp_path / "array.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"array\.npy is not a sewlearn model export"):
        load_model(tmp_path / "array.npy")


# -- distilled estimators: the student is the model ------------------------------


@pytest.fixture(scope="module")
def distilled(data, tiny):
    """A DistilledRegressor with a SEW student, 20 of its 60 rows unlabeled."""
    X, XS, Y1, _ = data
    y = Y1.copy()
    y[40:] = np.nan
    student = tiny(SEWRegressor, max_epochs=2)
    return DistilledRegressor(student, Ridge(), cv=2).fit(X, y, X_strong=XS)


def test_distilled_regressor_roundtrip(data, distilled, tmp_path):
    X, _, Y1, _ = data
    loaded = _roundtrip(distilled, tmp_path)
    assert type(loaded) is DistilledRegressor
    assert type(loaded.estimator_) is SEWRegressor
    np.testing.assert_array_equal(loaded.predict(X), distilled.predict(X))
    assert loaded.score(X, Y1) == distilled.score(X, Y1)
    # The teacher only trains: it is not in the file.
    assert loaded.teacher is None and not hasattr(loaded, "teacher_")
    assert loaded.teacher_score_ == distilled.teacher_score_
    assert loaded.weak_score_ == distilled.weak_score_
    assert loaded.weak_score_ is not None
    assert loaded.fallback_ is distilled.fallback_ is False
    assert loaded.n_features_in_ == 5
    # ``estimator`` is the student's unfitted clone; the rest is as fitted.
    assert not hasattr(loaded.estimator, "module_")
    assert loaded.estimator.get_params() == distilled.estimator.get_params()
    params = loaded.get_params(deep=False)
    expected = distilled.get_params(deep=False)
    for name in ("estimator", "teacher"):
        del params[name], expected[name]
    assert params == expected
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        config = json.loads(str(archive["__config__"]))
    assert config["format_version"] == 6
    assert config["student"]["format_version"] == 5
    # Refitting needs a teacher again.
    with pytest.raises(ValueError, match="'teacher' parameter"):
        loaded.fit(X, Y1)


def test_distilled_classifier_roundtrip_with_string_labels(data, tiny, tmp_path):
    # A SEW student that also gets X_strong (estimator_strong), unlabeled rows
    # marked "-1"; SEWClassifier takes no sample_weight: hard targets.
    X, XS, Y1, _ = data
    y = np.array(["calm", "mid", "wild"])[np.digitize(Y1, [-0.5, 0.5])]
    y_semi = np.where(np.arange(60) < 45, y, "-1")
    model = DistilledClassifier(
        tiny(SEWClassifier, max_epochs=2),
        LogisticRegression(),
        cv=2,
        estimator_strong=True,
        temperature=2.0,
        on_weak_teacher="ignore",
    ).fit(X, y_semi, X_strong=XS)
    loaded = _roundtrip(model, tmp_path)
    assert type(loaded) is DistilledClassifier
    assert loaded.classes_.tolist() == ["calm", "mid", "wild"]
    assert loaded.classes_.dtype == model.classes_.dtype
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.score(X, y) == model.score(X, y)
    assert loaded.targets_ == model.targets_ == "hard"
    assert loaded.weak_score_ is model.weak_score_ is None
    assert loaded.estimator_.n_features_strong_ == 3
    assert loaded.get_params()["temperature"] == 2.0


@pytest.mark.parametrize(
    "student",
    [Ridge(), make_pipeline(StandardScaler(), SEWRegressor(max_epochs=1))],
    ids=["Ridge", "Pipeline"],
)
def test_distilled_with_a_student_that_is_not_sew_says_use_joblib(
    data, student, tmp_path
):
    X, XS, Y1, _ = data
    model = DistilledRegressor(student, Ridge(), cv=2, on_weak_teacher="ignore")
    model.fit(X, Y1, X_strong=XS)
    name = type(student).__name__
    with pytest.raises(TypeError, match=f"this one's is a {name}.*joblib"):
        export_model(model, tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()
    with pytest.raises(NotFittedError):
        export_model(DistilledRegressor(SEWRegressor(), Ridge()), tmp_path / "u")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["params"].update(imitation=2.0), "'imitation' parameter"),
        (lambda c: c["params"].update(teacher="x"), "multiple values.*teacher"),
        (lambda c: c["fitted"].pop("fallback"), "no entry 'fallback'"),
        # no distilled estimator inside another
        (
            lambda c: c["student"].update(estimator="DistilledRegressor"),
            "unknown estimator 'DistilledRegressor'",
        ),
        (lambda c: c.update(format_version=5), "unknown estimator 'Distilled"),
    ],
)
def test_load_model_on_an_edited_distilled_file_names_it(
    distilled, tmp_path, edit, message
):
    path = _edited(distilled, tmp_path, edit)
    with pytest.raises(ValueError, match=rf"edited\.npz: .*{message}"):
        load_model(path)
