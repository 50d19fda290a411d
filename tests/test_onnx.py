"""sewlearn.onnx: ONNX graphs of the deployed networks, run by onnxruntime."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import DeepCCA, SEWClassifier, SEWRegressor
from sewlearn.postprocessing import PostProcessedRegressor

ort = pytest.importorskip(
    "onnxruntime", reason="the onnx extra (pip install 'sewlearn[onnx]') is missing"
)
skl2onnx = pytest.importorskip(
    "skl2onnx", reason="the onnx extra (pip install 'sewlearn[onnx]') is missing"
)
sewlearn_onnx = pytest.importorskip("sewlearn.onnx")
to_onnx, to_onnx_streaming = sewlearn_onnx.to_onnx, sewlearn_onnx.to_onnx_streaming

N_FEATURES, N_STRONG = 6, 4


def _session(model):
    return ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _run(model, X, **inputs):
    return _session(model).run(None, {"X": np.asarray(X, np.float32), **inputs})


def _close(actual, expected):
    """Equal to 1e-5 relative, with an absolute floor at 1e-5 of the scale."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.abs(expected).max()), 1e-12)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 240
    X = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    X_strong = np.tanh(X[:, :N_STRONG] + 0.1 * rng.normal(size=(n, N_STRONG)))
    y = 3.0 * X[:, 0] - X[:, 1] + 10.0  # far from 0 and 1: target scaling shows
    groups = np.repeat([0, 1, 2, 3], n // 4)
    return X, X_strong, y, groups


def _inputs(X):
    """Random, large and single-row inputs."""
    rng = np.random.default_rng(1)
    return {
        "random": X,
        "large": (1e3 * rng.normal(size=(50, X.shape[1]))).astype(np.float32),
        "single_row": X[:1],
    }


@pytest.fixture(scope="module")
def regressors(data):
    from conftest import make_tiny

    X, X_strong, y, groups = data
    two = np.column_stack([y, -y])
    return {
        "mlp": make_tiny(SEWRegressor).fit(X, y, X_strong=X_strong),
        "gru": make_tiny(SEWRegressor, head="gru").fit(X, y, X_strong=X_strong),
        "two_outputs": make_tiny(SEWRegressor, activation="relu").fit(
            X, two, X_strong=X_strong
        ),
    }


@pytest.mark.parametrize("kind", ["mlp", "gru", "two_outputs"])
@pytest.mark.parametrize("inputs", ["random", "large", "single_row"])
def test_regressor_predict_and_transform_parity(regressors, data, kind, inputs):
    sew = regressors[kind]
    X = _inputs(data[0])[inputs]
    (y_onnx,) = _run(to_onnx(sew), X)
    expected = sew.predict(X).reshape(len(X), -1)
    assert y_onnx.shape == expected.shape and y_onnx.dtype == np.float32
    _close(y_onnx, expected)
    (codes,) = _run(to_onnx(sew, method="transform"), X)
    _close(codes, sew.transform(X))
    (y_13,) = _run(to_onnx(sew, target_opset=13), X)  # the lowest opset
    _close(y_13, expected)


def test_regressor_target_scaling_is_exported(regressors, data):
    sew = regressors["mlp"]
    assert not np.allclose(sew.target_scale_, 1.0)
    (y_onnx,) = _run(to_onnx(sew), data[0])
    assert abs(float(y_onnx.mean()) - float(sew.predict(data[0]).mean())) < 1e-4


@pytest.mark.slow
def test_regressor_parity_on_1e5_rows(regressors):
    X = np.random.default_rng(2).normal(size=(100_000, N_FEATURES)).astype(np.float32)
    sew = regressors["gru"]
    (y_onnx,) = _run(to_onnx(sew), X)
    _close(y_onnx.ravel(), sew.predict(X))


@pytest.mark.parametrize("labels", ["strings", "integers"])
def test_classifier_labels_and_probabilities(data, tiny, labels):
    X, X_strong, y, _ = data
    classes = np.array(["low", "mid", "high"]) if labels == "strings" else [3, 7, 9]
    y_class = np.asarray(classes)[np.digitize(X[:, 0], [-0.5, 0.5])]
    clf = tiny(SEWClassifier).fit(X, y_class, X_strong=X_strong)
    onx = to_onnx(clf)
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    for X_test in _inputs(X).values():
        label, proba = _run(onx, X_test)
        np.testing.assert_array_equal(label, clf.predict(X_test))
        _close(proba, clf.predict_proba(X_test))
    assert label.dtype == (object if labels == "strings" else np.int64)


def test_classifier_zipmap_option(data, tiny):
    X, X_strong, _, _ = data
    clf = tiny(SEWClassifier).fit(X, np.where(X[:, 0] > 0, "a", "b"))
    label, proba = _run(to_onnx(clf, options={"zipmap": True}), X[:3])
    assert isinstance(proba, list) and set(proba[0]) == {"a", "b"}
    np.testing.assert_allclose(
        [p["a"] for p in proba], clf.predict_proba(X[:3])[:, 0], rtol=1e-5
    )


def test_deepcca_both_views(data, tiny):
    X, X_strong, _, _ = data
    dcca = tiny(DeepCCA).fit(X, X_strong)
    X_c, y_c = dcca.transform(X, X_strong)
    (x_onnx,) = _run(to_onnx(dcca), X)
    (y_onnx,) = _run(to_onnx(dcca, view="y"), X_strong)
    _close(x_onnx, X_c)
    _close(y_onnx, y_c)
    with pytest.raises(ValueError, match="transformer"):
        to_onnx(dcca, method="predict")


def test_pipeline_with_scaler_converts_whole(data, tiny):
    X, X_strong, y, _ = data
    X_shifted = 50.0 + 20.0 * X  # the scaler has something to do
    pipe = make_pipeline(StandardScaler(), tiny(SEWRegressor)).fit(
        X_shifted, y, sewregressor__X_strong=X_strong
    )
    onx = skl2onnx.to_onnx(pipe, X_shifted[:1].astype(np.float32))
    (y_onnx,) = _run(onx, X_shifted)
    _close(y_onnx.ravel(), pipe.predict(X_shifted))
    # float64 inputs: the scaler runs in float64, the network in float32
    X64 = X_shifted.astype(np.float64)
    session = _session(skl2onnx.to_onnx(pipe, X64[:1]))
    (y_onnx,) = session.run(None, {"X": X64})
    _close(y_onnx.ravel(), pipe.predict(X64))


def test_pipeline_sew_code_then_ridge(data, tiny):
    X, X_strong, y, _ = data
    pipe = make_pipeline(tiny(SEWRegressor), Ridge()).fit(
        X, y, sewregressor__X_strong=X_strong
    )
    sew = pipe.steps[0][1]
    onx = skl2onnx.to_onnx(
        pipe, X[:1], options={id(sew): {"method": "transform"}}, target_opset=17
    )
    (y_onnx,) = _run(onx, X)
    _close(y_onnx.ravel(), pipe.predict(X))


def test_pipeline_classifier_default_zipmap(data, tiny):
    X, _, _, _ = data
    pipe = make_pipeline(StandardScaler(), tiny(SEWClassifier)).fit(
        X, np.where(X[:, 1] > 0, "yes", "no")
    )
    label, proba = _run(skl2onnx.to_onnx(pipe, X[:1]), X[:5])
    np.testing.assert_array_equal(label, pipe.predict(X[:5]))
    assert isinstance(proba, list)  # skl2onnx's default for classifiers


def test_feature_count_and_names(data, tiny):
    pd = pytest.importorskip("pandas")
    X, _, y, _ = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
    sew = tiny(SEWRegressor).fit(frame, y)
    onx = to_onnx(sew)
    props = {p.key: p.value for p in onx.metadata_props}
    assert json.loads(props["feature_names_in"]) == list(frame.columns)
    assert props["n_features_in"] == str(N_FEATURES)
    assert props["estimator"] == "SEWRegressor"
    (x_input,) = onx.graph.input
    assert x_input.type.tensor_type.shape.dim[1].dim_value == N_FEATURES
    with pytest.raises(Exception, match="[Ii]nvalid|dimension"):
        _run(onx, X[:, :-1])
    with pytest.raises(ValueError, match="expecting 6 features"):
        to_onnx(sew, X[:, :-1])


def test_errors(data, tiny):
    X, _, y, _ = data
    with pytest.raises(Exception, match="not fitted"):
        to_onnx(tiny(SEWRegressor))
    sew = tiny(SEWRegressor).fit(X, y)
    with pytest.raises(ValueError, match="opset 13"):
        to_onnx(sew, target_opset=12)
    with pytest.raises(TypeError, match="Pipeline"):
        to_onnx(make_pipeline(sew))
    with pytest.raises(ValueError, match="frame-wise"):
        to_onnx_streaming(sew)


# -- sequence models -------------------------------------------------------------
@pytest.fixture(scope="module")
def sequence_model(data):
    from conftest import make_tiny

    X, X_strong, y, groups = data
    return make_tiny(
        SEWRegressor,
        head="gru",
        head_hidden_layer_sizes=(8, 8),
        sequence_length=7,
    ).fit(X, y, X_strong=X_strong, groups=groups)


def test_sequence_model_whole_recording(sequence_model, data):
    X, _, _, groups = data
    expected = sequence_model.predict(X, groups=groups)
    graph = to_onnx(sequence_model)
    for g in np.unique(groups):
        (y_onnx,) = _run(graph, X[groups == g])
        _close(y_onnx.ravel(), expected[groups == g])
    # shorter than the window: read whole, as predict does
    (y_short,) = _run(graph, X[:3])
    _close(y_short.ravel(), sequence_model.predict(X[:3]))


@pytest.mark.parametrize("chunk, opset", [(1, None), (5, 13), (60, 21)])
def test_streaming_equals_predict(sequence_model, data, chunk, opset):
    X, _, _, groups = data
    expected = sequence_model.predict(X, groups=groups)
    session = _session(to_onnx_streaming(sequence_model, target_opset=opset))
    for g in np.unique(groups):
        frames = X[groups == g]
        state = np.zeros((1, 0, 4), np.float32)  # a recording starts
        outputs = []
        for start in range(0, len(frames), chunk):
            y_t, state = session.run(
                None, {"X": frames[None, start : start + chunk], "state": state}
            )
            outputs.append(y_t[0, :, 0])
            assert state.shape == (1, min(6, start + len(y_t[0])), 4)
        _close(np.concatenate(outputs), expected[groups == g])


def test_streaming_several_streams_at_once(sequence_model, data):
    X, _, _, groups = data
    expected = sequence_model.predict(X, groups=groups)
    frames = np.stack([X[groups == g] for g in np.unique(groups)])  # (4, 60, 6)
    session = _session(to_onnx_streaming(sequence_model))
    state = np.zeros((len(frames), 0, 4), np.float32)
    outputs = []
    for t in range(frames.shape[1]):
        y_t, state = session.run(None, {"X": frames[:, t : t + 1], "state": state})
        outputs.append(y_t[:, 0, 0])
    _close(np.stack(outputs, axis=1).ravel(), expected)


def test_streaming_classifier_and_window_of_one(data, tiny):
    X, _, _, groups = data
    y_class = np.where(X[:, 0] > 0, "up", "down")
    for length in (1, 4):
        clf = tiny(SEWClassifier, head="gru", sequence_length=length, max_epochs=2).fit(
            X, y_class, groups=groups
        )
        session = _session(to_onnx_streaming(clf))
        frames = X[groups == 0]
        label, proba, state = session.run(
            None, {"X": frames[None], "state": np.zeros((1, 0, 4), np.float32)}
        )
        assert state.shape == (1, length - 1, 4)
        np.testing.assert_array_equal(label[0], clf.predict(frames))
        _close(proba[0], clf.predict_proba(frames))


# -- post-processing ---------------------------------------------------------------
@pytest.mark.parametrize("smoothing", ["mean", "median"])
def test_postprocessed_regressor(data, smoothing):
    X, _, y, groups = data
    model = PostProcessedRegressor(
        Ridge(), delays=(3,), windows=(4, 5), smoothing=smoothing, cv=2
    ).fit(X, y + np.roll(y, 3), groups=groups)
    graph = to_onnx(model)
    for g in np.unique(groups):
        (y_onnx,) = _run(graph, X[groups == g])
        _close(y_onnx.ravel(), model.predict(X[groups == g]))


def test_postprocessed_sew_two_outputs(data, tiny):
    X, X_strong, y, groups = data
    two = np.column_stack([y, np.roll(y, 2)])
    model = PostProcessedRegressor(
        tiny(SEWRegressor), delays=(0, 2), windows=(1, 3), cv=2
    ).fit(X, two, groups=groups)
    (y_onnx,) = _run(to_onnx(model), X[:60])
    assert y_onnx.shape == (60, 2)
    _close(y_onnx, model.predict(X[:60]))


# -- deployment without sewlearn ---------------------------------------------------
def test_runs_in_a_process_without_sewlearn(regressors, data, tmp_path):
    sew = regressors["gru"]
    X = data[0][:20]
    path = tmp_path / "sew.onnx"
    path.write_bytes(to_onnx(sew).SerializeToString())
    np.save(tmp_path / "X.npy", X)
    script = (
        "import sys\n"
        "sys.modules['sewlearn'] = None  # any import of sewlearn fails\n"
        "import numpy as np, onnxruntime as ort\n"
        "s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])\n"
        "(y,) = s.run(None, {'X': np.load(sys.argv[2])})\n"
        "np.save(sys.argv[3], y)\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            script,
            str(path),
            str(tmp_path / "X.npy"),
            str(tmp_path / "y.npy"),
        ],
        check=True,
        cwd=tmp_path,
        timeout=120,
    )
    _close(np.load(tmp_path / "y.npy").ravel(), sew.predict(X))


# -- distillation students ---------------------------------------------------------
def test_distilled_regressor_and_classifier(data, tiny):
    from sklearn.linear_model import LogisticRegression

    from sewlearn import DistilledClassifier, DistilledRegressor

    X, X_strong, y, _ = data
    reg = DistilledRegressor(tiny(SEWRegressor), Ridge(), cv=2)
    reg.fit(X, y, X_strong=X_strong)
    (y_onnx,) = _run(to_onnx(reg), X)
    _close(y_onnx.ravel(), reg.predict(X))
    y_class = np.array(["a", "b", "c"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    clf = DistilledClassifier(LogisticRegression(), LogisticRegression(), cv=2)
    clf.fit(X, y_class, X_strong=X_strong)
    label, proba = _run(to_onnx(clf), X)
    np.testing.assert_array_equal(label, clf.predict(X))
    _close(proba, clf.predict_proba(X))


def test_distilled_classifier_with_a_sew_student_and_its_pickle_free_export(
    data, tiny, tmp_path
):
    # The student's graph, string labels; the same after export_model and
    # load_model, which keep the student and drop the teacher.
    from sklearn.linear_model import LogisticRegression

    from sewlearn import DistilledClassifier, export_model, load_model

    X, X_strong, _, _ = data
    y_class = np.array(["a", "b", "c"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    clf = DistilledClassifier(
        tiny(SEWClassifier), LogisticRegression(), cv=2, on_weak_teacher="ignore"
    ).fit(X, y_class, X_strong=X_strong)
    export_model(clf, tmp_path / "clf.npz")
    for model in (clf, load_model(tmp_path / "clf.npz")):
        label, proba = _run(to_onnx(model), X)
        np.testing.assert_array_equal(label, clf.predict(X))
        _close(proba, clf.predict_proba(X))
