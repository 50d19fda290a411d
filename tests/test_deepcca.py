"""sewlearn._deepcca: DeepCCA, checked against linear CCA and sklearn tools."""

import io

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.cross_decomposition import CCA
from sklearn.model_selection import GridSearchCV, KFold

from sewlearn import DeepCCA

# A network that learns nonlinear_views (wider and longer than the tiny one).
SMALL = dict(
    n_components=2,
    x_hidden_layer_sizes=(32,),
    y_hidden_layer_sizes=(32,),
    lr=1e-2,
    max_epochs=30,
    random_state=0,
)


@pytest.fixture(scope="module")
def nonlinear_views():
    """Two views of two shared factors: X sees their squares, Y the factors.

    With factors symmetric about 0, ``z**2`` and ``z`` are uncorrelated, so a
    linear CCA finds nothing, while ``y -> y**2`` recovers what X carries.
    Returns the first 400 rows for training and the last 200 for testing.
    """
    rng = np.random.default_rng(0)
    n = 600
    z = rng.uniform(-1, 1, size=(n, 2))
    X = (z**2) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(n, 6))
    Y = z @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(n, 5))
    return X[:400], Y[:400], X[400:], Y[400:]


@pytest.fixture(scope="module")
def fitted(nonlinear_views):
    X, Y, _, _ = nonlinear_views
    return DeepCCA(**SMALL).fit(X, Y)


def test_fit_transform_shapes_and_attributes(nonlinear_views, fitted):
    X, Y, X_test, Y_test = nonlinear_views
    X_c = fitted.transform(X_test)
    assert X_c.shape == (len(X_test), 2) and X_c.dtype == np.float64
    X_c2, Y_c = fitted.transform(X_test, Y_test)
    np.testing.assert_array_equal(X_c, X_c2)
    assert Y_c.shape == (len(Y_test), 2)
    assert fitted.n_features_in_ == 6 and fitted.n_features_y_ == 5
    assert fitted.n_iter_ == 30 == len(fitted.history_)
    # The default code width: a few more outputs than canonical variates.
    assert fitted.module_.x_encoder[-1].out_features == 10
    assert fitted.x_code_rotations_.shape == (10, 2)


def test_canonical_correlations_are_sorted_training_correlations(
    nonlinear_views, fitted
):
    X, Y, _, _ = nonlinear_views
    corr = fitted.canonical_correlations_
    assert corr.shape == (2,)
    assert np.all((0 <= corr) & (corr <= 1))
    assert np.all(np.diff(corr) <= 0)
    assert corr[-1] > 0.9
    # They are the correlations of the paired training outputs.
    assert fitted.score(X, Y) == pytest.approx(corr.mean(), abs=1e-12)
    X_c, Y_c = fitted.transform(X, Y)
    for k in range(2):
        assert np.corrcoef(X_c[:, k], Y_c[:, k])[0, 1] == pytest.approx(corr[k])
    # Canonical variates: uncorrelated within each view, unit variance.
    np.testing.assert_allclose(np.cov(X_c.T), np.eye(2), atol=0.02)
    np.testing.assert_allclose(np.cov(Y_c.T), np.eye(2), atol=0.02)


def test_history_is_finite_and_the_loss_decreases(fitted):
    curve = np.asarray(fitted.history_[:, "train_alignment_loss"])
    assert np.isfinite(curve).all()
    # Minus a sum of 2 canonical correlations, and it is being minimised.
    assert -2 <= curve[-1] < curve[0] <= 0
    assert curve[-1] < -1.8
    assert fitted.history_[-1, "train_loss"] == pytest.approx(curve[-1])


def test_beats_linear_cca_on_a_nonlinear_shared_factor(nonlinear_views, fitted):
    X, Y, X_test, Y_test = nonlinear_views
    linear = CCA(n_components=2).fit(X, Y)
    X_c, Y_c = linear.transform(X_test, Y_test)
    linear_score = np.mean([np.corrcoef(X_c[:, k], Y_c[:, k])[0, 1] for k in (0, 1)])
    assert abs(linear_score) < 0.3
    assert fitted.score(X_test, Y_test) > 0.9


def test_score_on_train_and_test(nonlinear_views, fitted):
    X, Y, X_test, Y_test = nonlinear_views
    train, test = fitted.score(X, Y), fitted.score(X_test, Y_test)
    assert 0.9 < test <= train <= 1
    # Unpaired rows share nothing: the held-out correlation vanishes.
    shuffled = np.random.default_rng(0).permutation(len(Y_test))
    assert abs(fitted.score(X_test, Y_test[shuffled])) < 0.2


def test_fit_transform_returns_both_views_as_cca_does(nonlinear_views):
    X, Y, _, _ = nonlinear_views
    reference = CCA(n_components=2).fit_transform(X, Y)
    X_c, Y_c = DeepCCA(**{**SMALL, "max_epochs": 3}).fit_transform(X, Y)
    assert isinstance(reference, tuple) and len(reference) == 2
    assert X_c.shape == reference[0].shape and Y_c.shape == reference[1].shape
    again = DeepCCA(**{**SMALL, "max_epochs": 3}).fit(X, Y).transform(X, Y)
    np.testing.assert_array_equal(X_c, again[0])
    np.testing.assert_array_equal(Y_c, again[1])


def test_one_dimensional_y_is_one_feature(nonlinear_views):
    X, Y, X_test, Y_test = nonlinear_views
    kwargs = {**SMALL, "n_components": 1, "max_epochs": 5}
    flat = DeepCCA(**kwargs).fit(X, Y[:, 0])
    column = DeepCCA(**kwargs).fit(X, Y[:, :1])
    assert flat.n_features_y_ == 1
    np.testing.assert_array_equal(
        flat.transform(X_test, Y_test[:, 0])[1],
        column.transform(X_test, Y_test[:, :1])[1],
    )


def test_linear_invertible_encoders_give_linear_cca():
    # One linear layer as wide as each view is an invertible map, and CCA is
    # invariant to those: whatever the training did, the final closed-form
    # CCA of the codes is the linear CCA of the inputs (here against sklearn's
    # iterative CCA; its top component converges to the exact one).
    rng = np.random.default_rng(1)
    z = rng.normal(size=(500, 2))
    X = z @ rng.normal(size=(2, 4)) + rng.normal(size=(500, 4))
    Y = z @ rng.normal(size=(2, 4)) + rng.normal(size=(500, 4))
    dcca = DeepCCA(
        n_components=2,
        x_hidden_layer_sizes=(),
        y_hidden_layer_sizes=(),
        latent_dim=4,
        r1=1e-9,
        r2=1e-9,
        max_epochs=2,
        random_state=0,
    ).fit(X, Y)
    X_c, Y_c = CCA(n_components=2, max_iter=5000, tol=1e-12).fit_transform(X, Y)
    expected = [np.corrcoef(X_c[:, k], Y_c[:, k])[0, 1] for k in (0, 1)]
    np.testing.assert_allclose(dcca.canonical_correlations_, expected, atol=1e-6)
    # Same variates, up to sign.
    D_c = dcca.transform(X)
    assert abs(np.corrcoef(D_c[:, 0], X_c[:, 0])[0, 1]) == pytest.approx(1, abs=1e-6)


def test_grid_search_selects_by_held_out_correlation(nonlinear_views):
    X, Y, _, _ = nonlinear_views
    grid = GridSearchCV(
        DeepCCA(**{**SMALL, "max_epochs": 15}),
        {"activation": ["identity", "tanh"]},
        cv=KFold(3, shuffle=True, random_state=0),
        error_score="raise",
    ).fit(X, Y)
    scores = grid.cv_results_["mean_test_score"]
    # identity encoders are a linear CCA and find nothing here.
    assert scores[0] < 0.5 < 0.85 < scores[1]
    assert grid.best_params_ == {"activation": "tanh"}


def test_pandas_output_and_feature_names(nonlinear_views, fitted):
    X, Y, X_test, Y_test = nonlinear_views
    names = [f"x{i}" for i in range(X.shape[1])]
    dcca = DeepCCA(**{**SMALL, "max_epochs": 3}).set_output(transform="pandas")
    dcca.fit(pd.DataFrame(X, columns=names), Y)
    np.testing.assert_array_equal(dcca.feature_names_in_, names)
    np.testing.assert_array_equal(
        dcca.get_feature_names_out(), ["deepcca0", "deepcca1"]
    )
    X_df = pd.DataFrame(X_test, columns=names, index=np.arange(len(X_test)) + 1000)
    out = dcca.transform(X_df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["deepcca0", "deepcca1"]
    assert (out.index == X_df.index).all()
    # As sklearn's CCA: with y, only X's variates are wrapped.
    X_c, Y_c = dcca.transform(X_df, Y_test)
    assert isinstance(X_c, pd.DataFrame) and isinstance(Y_c, np.ndarray)
    X_c, _ = dcca.fit_transform(pd.DataFrame(X, columns=names), Y)
    assert list(X_c.columns) == ["deepcca0", "deepcca1"]


def test_joblib_round_trip(nonlinear_views, fitted):
    _, _, X_test, Y_test = nonlinear_views
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    restored = joblib.load(buffer)
    for a, b in zip(
        restored.transform(X_test, Y_test), fitted.transform(X_test, Y_test)
    ):
        np.testing.assert_array_equal(a, b)
    assert restored.score(X_test, Y_test) == fitted.score(X_test, Y_test)
    assert not hasattr(restored, "optimizer_")


def test_same_random_state_same_output(nonlinear_views, fitted):
    X, Y, X_test, _ = nonlinear_views
    again = DeepCCA(**SMALL).fit(X, Y)
    other = DeepCCA(**{**SMALL, "random_state": 1}).fit(X, Y)
    np.testing.assert_array_equal(again.transform(X_test), fitted.transform(X_test))
    assert not np.allclose(other.transform(X_test), fitted.transform(X_test))


def test_early_stopping_monitors_the_validation_alignment_loss(nonlinear_views):
    X, Y, _, _ = nonlinear_views
    dcca = DeepCCA(
        **{**SMALL, "max_epochs": 300, "lr": 3e-2},
        early_stopping=True,
        n_iter_no_change=3,
        tol=1e-3,
    ).fit(X, Y)
    assert dcca.n_iter_ < 300
    valid = np.asarray(dcca.history_[:, "valid_alignment_loss"])
    assert np.isfinite(valid).all() and valid.min() < -1.5


def test_verbose_prints_the_alignment_loss(nonlinear_views, capsys):
    X, Y, _, _ = nonlinear_views
    DeepCCA(**{**SMALL, "max_epochs": 2}, verbose=1).fit(X, Y)
    assert "train_alignment_loss" in capsys.readouterr().out
    DeepCCA(**{**SMALL, "max_epochs": 2}).fit(X, Y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X, Y: (np.where(X > 1, np.nan, X), Y), "Input X contains NaN"),
        (lambda X, Y: (X, np.where(Y > 1, np.nan, Y)), "Input y contains NaN"),
        (lambda X, Y: (X, Y[:-1]), "inconsistent numbers of samples"),
        (lambda X, Y: (X, None), "requires y to be passed"),
    ],
)
def test_bad_training_input(nonlinear_views, change, match):
    X, Y, _, _ = nonlinear_views
    with pytest.raises(ValueError, match=match):
        DeepCCA(**SMALL).fit(*change(X, Y))


def test_bad_parameters(nonlinear_views):
    X, Y, _, _ = nonlinear_views
    with pytest.raises(ValueError, match="n_components=3 must be at most latent_dim=2"):
        DeepCCA(**{**SMALL, "n_components": 3}, latent_dim=2).fit(X, Y)
    with pytest.raises(ValueError, match="x_hidden_layer_sizes"):
        DeepCCA(**{**SMALL, "x_hidden_layer_sizes": (0,)}).fit(X, Y)
    with pytest.raises(ValueError, match="r1"):
        DeepCCA(r1=0).fit(X, Y)


def test_wrong_feature_count_at_transform(nonlinear_views, fitted):
    _, _, X_test, Y_test = nonlinear_views
    with pytest.raises(ValueError, match="X has 5 features"):
        fitted.transform(Y_test)
    with pytest.raises(
        ValueError, match="y has 6 features, but DeepCCA is expecting 5"
    ):
        fitted.transform(X_test, X_test)
    with pytest.raises(ValueError, match="y has 6 features"):
        fitted.score(X_test, X_test)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fitted.transform(X_test, Y_test[:-1])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        fitted.transform(X_test, np.full_like(Y_test, np.nan))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_and_pickle_holds_cpu_weights(nonlinear_views, fitted):
    import pickle

    X, Y, X_test, Y_test = nonlinear_views
    dcca = DeepCCA(**SMALL, device="cuda").fit(X, Y)
    assert next(dcca.module_.parameters()).device.type == "cuda"
    state = dcca.__getstate__()
    assert next(state["module_"].parameters()).device.type == "cpu"
    restored = pickle.loads(pickle.dumps(dcca))
    for a, b in zip(restored.transform(X_test, Y_test), dcca.transform(X_test, Y_test)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    # Same seed, another device: close, not bit-identical.
    assert dcca.score(X_test, Y_test) == pytest.approx(
        fitted.score(X_test, Y_test), abs=0.05
    )


@pytest.mark.parametrize("objective", ["cca", "ey"])
def test_objectives_find_the_shared_factors(objective):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 2))
    X = z @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(400, 6))
    Xs = np.tanh(z @ rng.normal(size=(2, 5)))
    dcca = DeepCCA(
        n_components=2,
        x_hidden_layer_sizes=(16,),
        y_hidden_layer_sizes=(16,),
        latent_dim=2,
        objective=objective,
        lr=1e-2,
        batch_size=32,
        max_epochs=30,
        random_state=0,
    ).fit(X[:300], Xs[:300])
    # Two shared factors: both canonical pairs strongly correlated held out.
    assert dcca.score(X[300:], Xs[300:]) > 0.8
    history = dcca.history_
    assert history[-1, "train_alignment_loss"] < history[-1, "train_alignment_chance"]


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


# (name, fit arguments from (X, y), exception type, message naming the argument)
BAD_FIT = [
    ("nan in X", lambda X, y: dict(X=_with(X, (0, 0), np.nan)), ValueError, "X.*NaN"),
    (
        "inf in y",
        lambda X, y: dict(y=_with(y, (0, 0), np.inf)),
        ValueError,
        "y.*infinity",
    ),
    (
        "rows X vs y",
        lambda X, y: dict(y=y[:50]),
        ValueError,
        "inconsistent numbers of samples",
    ),
    ("1-D X", lambda X, y: dict(X=X[:, 0]), ValueError, "Expected 2D array"),
    ("empty", lambda X, y: dict(X=X[:0], y=y[:0]), ValueError, "0 sample"),
    ("sparse X", lambda X, y: dict(X=sp.csr_matrix(X)), TypeError, "[Ss]parse"),
    (
        "strings in X",
        lambda X, y: dict(X=np.full((60, 5), "a")),
        ValueError,
        "convert",
    ),
]


@pytest.mark.parametrize(
    "name, override, error, match", BAD_FIT, ids=[b[0] for b in BAD_FIT]
)
def test_bad_fit_input(small_data, tiny, name, override, error, match):
    X, Xs, _ = small_data
    args = dict(X=X, y=Xs)
    args.update(override(X, Xs))
    dcca = tiny(DeepCCA)
    with pytest.raises(error, match=match):
        dcca.fit(args["X"], args["y"])
    assert not hasattr(dcca, "n_features_in_")  # a failed fit leaves no state


def test_wrong_feature_count_at_transform_small(small_data, tiny):
    X, Xs, _ = small_data
    dcca = tiny(DeepCCA).fit(X, Xs)
    with pytest.raises(ValueError, match="X has 4 features"):
        dcca.transform(X[:, :4])
    with pytest.raises(ValueError, match="y has 2 features|2 features"):
        dcca.transform(X, Xs[:, :2])
