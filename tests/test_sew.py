"""sewlearn._sew: SEWRegressor and SEWClassifier.

The loss and its ablations, the strong modalities, input checking, the
alignment objectives, unlabeled rows and use with scikit-learn tools.
"""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWClassifier, SEWRegressor, ccc_score, ccc_scorer
from sewlearn._losses import masked_prediction_loss
from sewlearn.exceptions import AlignmentSaturationWarning

# Epochs for the tiny network to learn two_view_data.
EPOCHS = 15
PARTS = ["translation", "reconstruction", "alignment", "prediction"]


# -- the loss and its ablations -------------------------------------------------


def test_fit_predict_and_loss_history(two_view_data, tiny):
    X, Xs, y = two_view_data
    sew = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y, X_strong=Xs)
    pred = sew.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == np.float64
    assert sew.n_features_in_ == X.shape[1] and sew.n_features_strong_ == Xs.shape[1]
    assert sew.n_iter_ == EPOCHS == len(sew.history_)
    for part in PARTS:
        curve = np.asarray(sew.history_[:, f"train_{part}_loss"])
        assert np.isfinite(curve).all()
        assert curve[-1] < curve[0], part  # every part is being minimised
    # The alignment loss is minus a sum of K = 2 canonical correlations.
    assert -2 <= sew.history_[-1, "train_alignment_loss"] < -1
    # The total loss is eq. 9 with alpha = beta = gamma = 1.
    last = sew.history_[-1]
    total = sum(last[f"train_{p}_loss"] for p in PARTS)
    assert last["train_loss"] == pytest.approx(total, rel=1e-5)
    assert ccc_score(y, pred) > 0.5


def test_two_dimensional_y(two_view_data, tiny):
    X, Xs, y = two_view_data
    Y = np.stack([y, -y], axis=1)
    sew = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, Y, X_strong=Xs)
    assert sew.n_outputs_ == 2
    pred = sew.predict(X)
    assert pred.shape == (len(X), 2)
    assert ccc_score(Y, pred, multioutput="raw_values").min() > 0.5


@pytest.mark.parametrize(
    "weights, trained",
    [
        (dict(), {"translation", "reconstruction", "alignment"}),
        (dict(alpha=0), {"reconstruction", "alignment"}),  # -SD1
        (dict(beta=0), {"translation", "alignment"}),  # -SD2
        (dict(gamma=0), {"translation", "reconstruction"}),  # -CCA
        (dict(alpha=0, gamma=0), set()),  # -(CCA & SD1)
    ],
)
def test_ablations_are_loss_weights(two_view_data, tiny, weights, trained):
    X, Xs, y = two_view_data
    sew = tiny(SEWRegressor, max_epochs=2, **weights).fit(X, y, X_strong=Xs)
    recorded = {
        k[len("train_") : -len("_loss")]
        for k in sew.history_[-1]
        if k.startswith("train_") and k.endswith("_loss") and k != "train_loss"
    }
    assert recorded == trained | {"prediction"}


def test_without_strong_side_is_the_unimodal_network(two_view_data, tiny):
    X, Xs, y = two_view_data
    uni = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y)
    ablated = tiny(SEWRegressor, max_epochs=EPOCHS, alpha=0, gamma=0)
    ablated.fit(X, y, X_strong=Xs)
    full = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y, X_strong=Xs)
    np.testing.assert_array_equal(uni.predict(X), ablated.predict(X))
    assert not np.allclose(uni.predict(X), full.predict(X))
    # Deployed blocks only: W_E and R, whatever was trained.
    names = {name.split(".")[0] for name, _ in full.module_.named_parameters()}
    assert names == {"weak_encoder", "regressor"}


def test_paper_setting_batch_32_latent_128_stays_finite():
    # Batch 32 < latent 128 in float32: eigh-based Deep CCA ports go NaN here.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32 * 10 + 1, 40)).astype(np.float32)  # last batch of 1
    Xs = np.tanh(X[:, :12] @ rng.normal(size=(12, 20))).astype(np.float32)
    y = X[:, 0]
    sew = SEWRegressor(latent_dim=128, batch_size=32, max_epochs=2, random_state=0)
    with pytest.warns(UserWarning, match="saturates"):
        sew.fit(X, y, X_strong=Xs)
    for key in ["train_loss", "train_alignment_loss", "train_translation_loss"]:
        assert np.isfinite(sew.history_[:, key]).all()
    assert sew.history_[-1, "train_alignment_loss"] < -1
    assert np.isfinite(sew.predict(X)).all()


def test_strong_modality_is_standardised_inside_fit(two_view_data, tiny):
    X, Xs, y = two_view_data
    a = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y, X_strong=Xs)
    b = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y, X_strong=1000 * Xs + 7)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-3, atol=1e-3)


def test_ccc_prediction_loss(two_view_data, tiny):
    X, Xs, y = two_view_data
    sew = tiny(SEWRegressor, max_epochs=EPOCHS, prediction_loss="ccc")
    sew.fit(X, y, X_strong=Xs)
    curve = sew.history_[:, "train_prediction_loss"]
    assert 0 <= curve[-1] < curve[0] <= 2  # 1 - CCC
    assert ccc_score(y, sew.predict(X)) > 0.5


def test_gru_head(two_view_data, tiny):
    X, Xs, y = two_view_data
    sew = tiny(
        SEWRegressor, max_epochs=EPOCHS, head="gru", head_hidden_layer_sizes=(12, 12)
    ).fit(X, y, X_strong=Xs)
    # The module keeps the paper's name for the head, R: module_.regressor.
    assert sum(1 for _ in sew.module_.regressor.grus) == 2
    assert ccc_score(y, sew.predict(X)) > 0.5


def test_early_stopping_restores_best_epoch(two_view_data, tiny):
    X, Xs, y = two_view_data
    sew = tiny(
        SEWRegressor,
        max_epochs=200,
        lr=2e-2,
        early_stopping=True,
        n_iter_no_change=3,
    ).fit(X, y, X_strong=Xs)
    assert sew.n_iter_ < 200
    valid = np.asarray(sew.history_[:, "valid_prediction_loss"])
    assert np.isfinite(valid).all()
    assert "valid_alignment_loss" in sew.history_[-1]


def test_verbose_prints_loss_parts(two_view_data, tiny, capsys):
    X, Xs, y = two_view_data
    tiny(SEWRegressor, max_epochs=2, verbose=1).fit(X, y, X_strong=Xs)
    out = capsys.readouterr().out
    for column in ["train_translation_loss", "train_alignment_loss", "train_loss"]:
        assert column in out
    tiny(SEWRegressor, max_epochs=2).fit(X, y, X_strong=Xs)
    assert capsys.readouterr().out == ""


def test_divergence_names_the_broken_loss(two_view_data, tiny):
    X, Xs, y = two_view_data
    sew = tiny(SEWRegressor, optimizer="sgd", lr=1e12, max_epochs=3)
    with pytest.raises(FloatingPointError, match=r"diverged.*_loss.*lower learning"):
        sew.fit(100 * X, y, X_strong=Xs)


def test_transform_gives_the_weak_code(two_view_data, tiny):
    X, Xs, y = two_view_data
    sew = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y, X_strong=Xs)
    codes = sew.transform(X)
    assert codes.shape == (len(X), sew.latent_dim)
    # The code feeds another estimator in a Pipeline.
    ridge = Ridge().fit(codes, y)
    assert ccc_score(y, ridge.predict(codes)) > 0.5


# -- several strong modalities --------------------------------------------------


def test_several_strong_modalities(two_view_data, tiny):
    X, Xs, y = two_view_data
    rng = np.random.default_rng(1)
    second = np.tanh(Xs @ rng.normal(size=(6, 4))).astype(np.float32)
    views = {"audio": Xs, "physio": second}
    sew = tiny(
        SEWRegressor,
        max_epochs=EPOCHS,
        strong_hidden_layer_sizes={"audio": (16,), "physio": (4,)},
    ).fit(X, y, X_strong=views)
    assert sew.n_features_strong_ == {"audio": 6, "physio": 4}
    assert ccc_score(y, sew.predict(X)) > 0.5
    single = tiny(SEWRegressor, max_epochs=EPOCHS).fit(X, y, X_strong=Xs)
    # Two CCA terms of K=2 each are summed: the alignment loss goes below -2.
    assert sew.history_[-1, "train_alignment_loss"] < -2
    assert single.history_[-1, "train_alignment_loss"] >= -2
    names = {name.split(".")[0] for name, _ in sew.module_.named_parameters()}
    assert names == {"weak_encoder", "regressor"}
    # A list of arrays is the same as a dict with names strong0, strong1.
    listed = tiny(SEWRegressor, max_epochs=2).fit(X, y, X_strong=[Xs, second])
    assert listed.n_features_strong_ == 10


@pytest.mark.parametrize(
    "views, match",
    [
        ({"audio": np.zeros((399, 6))}, r"X_strong\['audio'\] has 399 samples"),
        ({"weak": np.zeros((400, 6))}, "identifiers other than 'weak'"),
        ({"a": np.full((400, 2), np.nan)}, r"X_strong\['a'\].*NaN"),
        ({}, "empty dict"),
    ],
)
def test_several_strong_modalities_bad_input(two_view_data, tiny, views, match):
    X, _, y = two_view_data
    with pytest.raises(ValueError, match=match):
        tiny(SEWRegressor).fit(X, y, X_strong=views)


# -- input checking --------------------------------------------------------------


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


# (name, fit arguments from (X, X_strong, y), exception type, message naming the
# argument); the arguments not given are small_data's.
BAD_FIT = [
    (
        "nan in X",
        lambda X, S, y: dict(X=_with(X, (0, 0), np.nan)),
        ValueError,
        "X.*NaN",
    ),
    (
        "inf in X",
        lambda X, S, y: dict(X=_with(X, (1, 1), np.inf)),
        ValueError,
        "X.*infinity",
    ),
    (
        "nan in X_strong",
        lambda X, S, y: dict(X_strong=_with(S, (0, 0), np.nan)),
        ValueError,
        "X_strong.*NaN",
    ),
    (
        "inf in X_strong",
        lambda X, S, y: dict(X_strong=_with(S, (0, 0), -np.inf)),
        ValueError,
        "X_strong.*infinity",
    ),
    # NaN marks an unlabeled row: refused without X_strong, used with it.
    (
        "nan in y without X_strong",
        lambda X, S, y: dict(y=_with(y, 3, np.nan), X_strong=None),
        ValueError,
        "y.*NaN.*X_strong",
    ),
    ("nan in y with X_strong", lambda X, S, y: dict(y=_with(y, 3, np.nan)), None, None),
    (
        "all y nan",
        lambda X, S, y: dict(y=np.full(60, np.nan)),
        ValueError,
        "y has no labeled row",
    ),
    (
        "inf in y",
        lambda X, S, y: dict(y=_with(y, 3, np.inf)),
        ValueError,
        "y.*infinity",
    ),
    (
        "rows X vs X_strong",
        lambda X, S, y: dict(X_strong=S[:50]),
        ValueError,
        "X_strong has 50 samples but X has 60",
    ),
    (
        "rows X vs y",
        lambda X, S, y: dict(y=y[:50]),
        ValueError,
        "inconsistent numbers of samples",
    ),
    ("1-D X", lambda X, S, y: dict(X=X[:, 0]), ValueError, "Expected 2D array"),
    (
        "1-D X_strong",
        lambda X, S, y: dict(X_strong=S[:, 0]),
        ValueError,
        "X_strong must be 2-D",
    ),
    (
        "X_strong list mixing 2-D and 1-D",
        lambda X, S, y: dict(X_strong=[S, S[:, 0]]),
        ValueError,
        "X_strong: a list or tuple of strong modalities must hold 2-D arrays",
    ),
    ("X_strong as a list of rows", lambda X, S, y: dict(X_strong=list(S)), None, None),
    (
        "empty X",
        lambda X, S, y: dict(X=X[:0], X_strong=S[:0], y=y[:0]),
        ValueError,
        "0 sample",
    ),
    (
        "single sample",
        lambda X, S, y: dict(X=X[:1], X_strong=S[:1], y=y[:1]),
        ValueError,
        "1 sample",
    ),
    (
        "strings in X",
        lambda X, S, y: dict(X=np.full((60, 5), "a")),
        ValueError,
        "X must be numeric",
    ),
    (
        "strings in X_strong",
        lambda X, S, y: dict(X_strong=np.full((60, 3), "a")),
        ValueError,
        "X_strong must be numeric",
    ),
    # Numeric objects are fine.
    ("object X", lambda X, S, y: dict(X=X.astype(object)), None, None),
    ("sparse X", lambda X, S, y: dict(X=sp.csr_matrix(X)), TypeError, "[Ss]parse"),
    (
        "sparse X_strong",
        lambda X, S, y: dict(X_strong=sp.csr_matrix(S)),
        TypeError,
        "[Ss]parse",
    ),
    (
        "string y",
        lambda X, S, y: dict(y=np.array(["a"] * 60)),
        ValueError,
        "y must be numeric",
    ),
]


@pytest.mark.parametrize(
    "name, override, error, match", BAD_FIT, ids=[b[0] for b in BAD_FIT]
)
def test_bad_fit_input(small_data, tiny, name, override, error, match):
    X, Xs, y = small_data
    args = dict(X=X, y=y, X_strong=Xs)
    args.update(override(X, Xs, y))
    sew = tiny(SEWRegressor, max_epochs=3)
    if error is None:
        sew.fit(args["X"], args["y"], X_strong=args["X_strong"])
        assert np.isfinite(sew.predict(X)).all()
        return
    with pytest.raises(error, match=match):
        sew.fit(args["X"], args["y"], X_strong=args["X_strong"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X_strong=np.full((400, 6), np.nan)), "X_strong"),
        (dict(X_strong=np.zeros((399, 6))), "X_strong has 399 samples but X has 400"),
    ],
)
def test_bad_strong_input(two_view_data, tiny, kwargs, match):
    X, _, y = two_view_data
    with pytest.raises(ValueError, match=match):
        tiny(SEWRegressor).fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def fitted(small_data, tiny):
    X, Xs, y = small_data
    return tiny(SEWRegressor, max_epochs=3).fit(X, y, X_strong=Xs)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (
            lambda X: X[:, :4],
            ValueError,
            "X has 4 features, but SEWRegressor is expecting 5",
        ),
        (lambda X: X[:, 0], ValueError, "Expected 2D array"),
        (lambda X: _with(X, (0, 0), np.nan), ValueError, "X.*NaN"),
        (lambda X: X[:0], ValueError, "0 sample"),
        (sp.csr_matrix, TypeError, "[Ss]parse"),
    ],
)
def test_bad_predict_input(small_data, fitted, bad, error, match):
    X, _, _ = small_data
    with pytest.raises(error, match=match):
        fitted.predict(bad(X))


def test_predict_takes_no_strong_modality(small_data, fitted):
    X, Xs, _ = small_data
    with pytest.raises(TypeError, match="X_strong"):
        fitted.predict(X, X_strong=Xs)


def test_parameters_are_plain_and_cloneable():
    sew = SEWRegressor(alpha=0.5, weak_hidden_layer_sizes=(64, 32), head="gru")
    params = clone(sew).get_params()
    assert params["alpha"] == 0.5 and params["weak_hidden_layer_sizes"] == (64, 32)
    assert params["head"] == "gru" and params["head_hidden_layer_sizes"] == (120,)
    assert all(
        isinstance(v, (int, float, str, tuple, bool, type(None)))
        for v in params.values()
    )
    with pytest.raises(ValueError, match="alpha"):
        SEWRegressor(alpha=-1).fit(np.ones((4, 2)), np.arange(4.0))
    with pytest.raises(ValueError, match="weak_hidden_layer_sizes"):
        SEWRegressor(weak_hidden_layer_sizes=(0,)).fit(np.ones((4, 2)), np.arange(4.0))
    with pytest.raises(ValueError, match="head_hidden_layer_sizes"):
        SEWRegressor(head_hidden_layer_sizes=(0,)).fit(np.ones((4, 2)), np.arange(4.0))


@pytest.mark.parametrize("estimator", [SEWRegressor, SEWClassifier])
def test_head_parameters_are_named_for_both_tasks(estimator):
    # 0.1 renamed regressor -> head and regressor_hidden_layer_sizes ->
    # head_hidden_layer_sizes: the classifier's head is no regressor.
    params = estimator().get_params()
    assert {"head", "head_hidden_layer_sizes"} <= set(params)
    assert not {"regressor", "regressor_hidden_layer_sizes"} & set(params)
    with pytest.raises(TypeError, match="regressor"):
        estimator(regressor="gru")


# -- alignment objectives --------------------------------------------------------


@pytest.fixture(scope="module")
def related_views():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 2))
    X = z @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(400, 6))
    Xs = np.tanh(z @ rng.normal(size=(2, 5)))
    return X.astype(np.float32), Xs.astype(np.float32), z[:, 0]


@pytest.mark.parametrize("alignment", ["cca", "ey"])
def test_alignment_beats_its_chance_level(related_views, tiny, alignment):
    X, Xs, y = related_views
    sew = tiny(SEWRegressor, latent_dim=8, max_epochs=8, alignment=alignment)
    sew.fit(X, y, X_strong=Xs)
    aligned = sew.history_[-1, "train_alignment_loss"]
    chance = sew.history_[-1, "train_alignment_chance"]
    assert len(sew.history_[:, "train_alignment_chance"]) == sew.n_iter_
    # Views driven by the same factors: matched pairs align far better than
    # mismatched ones (the loss is lower is better).
    assert aligned < chance - 0.5
    # Only W_E and R are kept: the EY projections go with the strong side.
    names = {name.split(".")[0] for name, _ in sew.module_.named_parameters()}
    assert names == {"weak_encoder", "regressor"}


def test_warns_when_the_cca_term_is_saturated(related_views, tiny):
    X, Xs, y = related_views
    params = dict(latent_dim=32, max_epochs=1)
    match = r"batches of 32 rows <= latent_dim \+ 1 = 33.*'ey'"
    with pytest.warns(AlignmentSaturationWarning, match=match) as caught:
        tiny(SEWRegressor, **params).fit(X, y, X_strong=Xs)
    assert issubclass(caught[0].category, UserWarning)
    # Its own class, so it can be silenced alone (e.g. in a grid search).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=AlignmentSaturationWarning)
        tiny(SEWRegressor, **params).fit(X, y, X_strong=Xs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # No alignment term, another objective, or batches wider than codes.
        tiny(SEWRegressor, **params).fit(X, y)
        tiny(SEWRegressor, **params, gamma=0.0).fit(X, y, X_strong=Xs)
        tiny(SEWRegressor, **params, alignment="ey").fit(X, y, X_strong=Xs)
        tiny(SEWRegressor, **params, batch_size=64).fit(X, y, X_strong=Xs)
        tiny(SEWClassifier, **params, batch_size=64).fit(X, y > 0, X_strong=Xs)


def test_k_above_the_code_width_is_refused(related_views, tiny):
    X, Xs, y = related_views
    sew = tiny(SEWRegressor, n_cca_components=5)  # latent_dim=4
    with pytest.raises(ValueError, match="n_cca_components=5 must be at most"):
        sew.fit(X, y, X_strong=Xs)


# -- unlabeled rows: NaN / -1 in y feed the strong-side losses only --------------


@pytest.fixture(scope="module")
def semi_data():
    """300 paired rows; the first 60 labeled, the other 240 unlabeled (NaN)."""
    rng = np.random.default_rng(0)
    n = 300
    z = rng.normal(size=(n, 2))
    X = z @ rng.normal(size=(2, 8)) + rng.normal(size=(n, 8))
    Xs = np.tanh(z @ rng.normal(size=(2, 5)))
    y = z[:, 0] + 0.1 * rng.normal(size=n)
    y_semi = y.copy()
    y_semi[60:] = np.nan
    return X.astype(np.float32), Xs.astype(np.float32), y, y_semi


def test_unlabeled_rows_are_used_and_counted(semi_data, tiny, capsys):
    X, Xs, _, y_semi = semi_data
    semi = tiny(SEWRegressor, verbose=1).fit(X, y_semi, X_strong=Xs)
    assert (semi.n_labeled_, semi.n_unlabeled_) == (60, 240)
    assert "60 labeled and 240 unlabeled rows" in capsys.readouterr().out
    supervised = tiny(SEWRegressor).fit(X[:60], y_semi[:60], X_strong=Xs[:60])
    assert (supervised.n_labeled_, supervised.n_unlabeled_) == (60, 0)
    # The unlabeled rows train W_E through the strong-side losses.
    assert not np.allclose(semi.predict(X), supervised.predict(X))
    assert semi.history_[-1, "train_batch_count"] == 10  # ceil(300 / 32)
    assert np.isfinite(semi.history_[:, "train_loss"]).all()


def test_all_labeled_takes_the_supervised_path(semi_data, tiny, monkeypatch):
    X, Xs, y, y_semi = semi_data
    # With no marker in y, the loss is the supervised one, unchanged (the
    # masked one is never called), so such fits are bit for bit those of
    # sewlearn before unlabeled rows existed.
    calls = []
    original = masked_prediction_loss

    def spy(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr("sewlearn._losses.masked_prediction_loss", spy)
    tiny(SEWRegressor).fit(X, y, X_strong=Xs)
    labels = (y > 0).astype(int)
    tiny(SEWClassifier).fit(X, labels, X_strong=Xs)
    assert calls == []
    tiny(SEWRegressor).fit(X, y_semi, X_strong=Xs)
    assert len(calls) > 0


def test_without_strong_side_unlabeled_rows_are_dropped(semi_data, tiny):
    X, Xs, _, y_semi = semi_data
    # alpha = gamma = 0: nothing of the strong side reaches W_E, so the fit is
    # the uni-modal one on the labeled rows, bit for bit.
    ablated = tiny(SEWRegressor, alpha=0, gamma=0).fit(X, y_semi, X_strong=Xs)
    uni = tiny(SEWRegressor).fit(X[:60], y_semi[:60])
    np.testing.assert_array_equal(ablated.predict(X), uni.predict(X))
    assert ablated.n_unlabeled_ == 0


def test_classifier_minus_one_and_string_marker(semi_data, tiny):
    X, Xs, y, _ = semi_data
    labels = np.where(y > 0, 1, 0)
    labels[60:] = -1
    clf = tiny(SEWClassifier).fit(X, labels, X_strong=Xs)
    assert list(clf.classes_) == [0, 1]
    assert clf.n_unlabeled_ == 240
    names = np.where(labels == 1, "pos", np.where(labels == 0, "neg", "-1"))
    clf_s = tiny(SEWClassifier).fit(X, names, X_strong=Xs)
    assert list(clf_s.classes_) == ["neg", "pos"]
    # Same rows, same seed: the same network whatever the label spelling
    # (classes sort alike: 0 < 1 and "neg" < "pos").
    np.testing.assert_array_equal(clf.predict_proba(X), clf_s.predict_proba(X))


@pytest.mark.parametrize(
    "estimator, y, X_strong, match",
    [
        (SEWRegressor, "nan", None, "y.*NaN.*X_strong"),
        (SEWRegressor, "all_nan", "given", "y has no labeled row"),
        (SEWClassifier, "minus_one", None, "unlabeled marker -1.*X_strong"),
        (SEWClassifier, "all_minus_one", "given", "y has no labeled row"),
        (SEWClassifier, "one_class_and_minus_one", "given", "single class"),
    ],
)
def test_markers_refused_where_they_make_no_sense(
    semi_data, tiny, estimator, y, X_strong, match
):
    X, Xs, y_true, _ = semi_data
    targets = {
        "nan": np.where(np.arange(300) < 60, y_true, np.nan),
        "all_nan": np.full(300, np.nan),
        "minus_one": np.where(np.arange(300) < 60, y_true > 0, -1).astype(int),
        "all_minus_one": np.full(300, -1),
        "one_class_and_minus_one": np.where(np.arange(300) < 60, 1, -1),
    }
    sew = tiny(estimator)
    with pytest.raises(ValueError, match=match):
        sew.fit(X, targets[y], X_strong=None if X_strong is None else Xs)
    # A failed fit leaves the estimator unfitted.
    assert not hasattr(sew, "n_features_in_")


def test_early_stopping_watches_labeled_rows(semi_data, tiny):
    X, Xs, _, y_semi = semi_data
    sew = tiny(SEWRegressor, max_epochs=3, early_stopping=True)
    sew.fit(X, y_semi, X_strong=Xs)
    # 6 of the 60 labeled rows are held out: one validation batch, finite loss.
    assert sew.history_[-1, "valid_batch_count"] == 1
    assert np.isfinite(sew.history_[:, "valid_prediction_loss"]).all()


def test_scores_ignore_unlabeled_rows(semi_data, tiny):
    X, Xs, y, y_semi = semi_data
    sew = tiny(SEWRegressor).fit(X, y_semi, X_strong=Xs)
    pred = sew.predict(X)
    assert ccc_score(y_semi, pred) == ccc_score(y[:60], pred[:60])
    assert sew.score(X, y_semi) == pytest.approx(sew.score(X[:60], y[:60]))
    labels = np.where(y > 0, 1, 0)
    labels[60:] = -1
    clf = tiny(SEWClassifier).fit(X, labels, X_strong=Xs)
    assert clf.score(X, labels) == clf.score(X[:60], labels[:60])
    # Two targets: each is scored on its own labeled rows.
    y2 = np.c_[y, -y]
    y2[:10, 1] = np.nan
    expected = np.mean([ccc_score(y[:], pred), ccc_score(-y[10:], pred[10:])])
    assert ccc_score(y2, np.c_[pred, pred]) == pytest.approx(expected)


@pytest.mark.parametrize("scoring", [None, ccc_scorer])
def test_search_scores_labeled_rows_only(semi_data, tiny, scoring):
    X, Xs, y, y_semi = semi_data
    # Labeled and unlabeled rows interleaved, so every test fold has both.
    order = np.random.default_rng(1).permutation(len(X))
    X, Xs, y, y_semi = X[order], Xs[order], y[order], y_semi[order]
    cv = KFold(3)
    search = GridSearchCV(
        tiny(SEWRegressor), {"alpha": [0.0, 1.0]}, cv=cv, scoring=scoring
    ).fit(X, y_semi, X_strong=Xs)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    # Recompute one fold by hand, scoring its labeled rows only.
    train, test = next(cv.split(X))
    est = clone(search.estimator).set_params(alpha=1.0)
    est.fit(X[train], y_semi[train], X_strong=Xs[train])
    labeled = test[~np.isnan(y_semi[test])]
    expected = (
        est.score(X[labeled], y[labeled])
        if scoring is None
        else ccc_score(y[labeled], est.predict(X[labeled]))
    )
    assert search.cv_results_["split0_test_score"][1] == pytest.approx(expected)
    # The selection follows these labeled-row scores.
    assert search.best_params_["alpha"] == [0.0, 1.0][int(np.argmax(scores))]


# -- scikit-learn tools ------------------------------------------------------------


class _PairedSliceCheck(SEWRegressor):
    """Fails unless X_strong arrives sliced with the same rows as X."""

    def fit(self, X, y, X_strong=None):
        X_strong = np.asarray(X_strong)
        if X_strong.shape[0] != len(X) or not np.array_equal(X_strong[:, 0], X[:, 0]):
            raise AssertionError("X_strong was not sliced together with X")
        return super().fit(X, y, X_strong=X_strong[:, 1:])


def _paired(two_view_data):
    X, Xs, y = two_view_data
    # Column 0 of the strong view repeats X's column 0, to check the slicing.
    return X, np.column_stack([X[:, 0], Xs]), y


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_slices_x_strong_per_fold(two_view_data, tiny, n_jobs):
    X, Xs, y = _paired(two_view_data)
    grid = GridSearchCV(
        tiny(_PairedSliceCheck, max_epochs=3),
        {"gamma": [0.0, 1.0], "alpha": [0.0, 1.0]},
        scoring=ccc_scorer,
        cv=KFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
        error_score="raise",
    )
    grid.fit(X, y, X_strong=Xs)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_estimator_.n_features_strong_ == Xs.shape[1] - 1


def test_grid_search_with_metadata_routing(two_view_data, tiny):
    X, Xs, y = _paired(two_view_data)
    with sklearn.config_context(enable_metadata_routing=True):
        est = tiny(_PairedSliceCheck, max_epochs=3).set_fit_request(X_strong=True)
        grid = GridSearchCV(
            est, {"beta": [0.0, 1.0]}, scoring=ccc_scorer, cv=3, error_score="raise"
        )
        grid.fit(X, y, X_strong=Xs)
    assert grid.best_estimator_.n_features_strong_ == Xs.shape[1] - 1


def test_in_pipeline_and_cross_validate(two_view_data, tiny):
    X, Xs, y = two_view_data
    pipe = make_pipeline(StandardScaler(), tiny(SEWRegressor, max_epochs=EPOCHS))
    pipe.fit(X, y, sewregressor__X_strong=Xs)
    assert pipe[-1].n_features_strong_ == Xs.shape[1]
    assert ccc_score(y, pipe.predict(X)) > 0.5
    scores = cross_validate(
        pipe, X, y, cv=3, scoring=ccc_scorer, params={"sewregressor__X_strong": Xs}
    )
    assert scores["test_score"].shape == (3,)
    assert scores["test_score"].mean() > 0.3


@pytest.mark.parametrize("estimator", [SEWRegressor, SEWClassifier])
def test_pandas_output_in_a_pipeline(small_data, tiny, estimator):
    # Regression test: set_output(transform="pandas") raised, for want of
    # get_feature_names_out, on a Pipeline holding a SEW estimator.
    pd = pytest.importorskip("pandas")
    X, Xs, y = small_data
    target = y if estimator is SEWRegressor else np.where(y > 0, "up", "down")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), tiny(estimator))
    pipe.set_output(transform="pandas")
    pipe.fit(frame, target, **{f"{estimator.__name__.lower()}__X_strong": Xs})
    prefix = estimator.__name__.lower()
    names = [f"{prefix}{i}" for i in range(pipe[-1].latent_dim)]
    np.testing.assert_array_equal(pipe[-1].get_feature_names_out(), names)
    np.testing.assert_array_equal(pipe.get_feature_names_out(), names)
    codes = pipe.transform(frame)
    assert isinstance(codes, pd.DataFrame) and list(codes.columns) == names
    np.testing.assert_array_equal(
        codes.to_numpy(), pipe[-1].transform(pipe[0].transform(frame))
    )
    assert pipe.predict(frame).shape == (len(X),)


def test_joblib_round_trip_in_fresh_process(two_view_data, tiny, tmp_path):
    X, Xs, y = two_view_data
    sew = tiny(SEWRegressor).fit(X, y, X_strong=Xs)
    joblib.dump(sew, tmp_path / "sew.joblib")
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(
        f"""
        import joblib, numpy as np
        sew = joblib.load({str(tmp_path / "sew.joblib")!r})
        np.save({str(tmp_path / "pred.npy")!r}, sew.predict(np.load(
            {str(tmp_path / "X.npy")!r})))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, env=os.environ.copy())
    np.testing.assert_array_equal(np.load(tmp_path / "pred.npy"), sew.predict(X))


def test_pickle_holds_only_the_deployed_weights(tmp_path):
    # Paper-size network: weak 632-d (video-geometric), strong 88-d (audio).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 632)).astype(np.float32)
    Xs = rng.normal(size=(96, 88)).astype(np.float32)
    y = rng.normal(size=96).astype(np.float32)
    sew = SEWRegressor(max_epochs=1, random_state=0)
    with pytest.warns(UserWarning, match="saturates"):
        sew.fit(X, y, X_strong=Xs)
    n_params = sum(p.numel() for p in sew.module_.parameters())
    # W_E (632-512-256-128) and R (128-120-1) alone:
    expected = (632 * 512 + 512) + (512 * 256 + 256) + (256 * 128 + 128)
    expected += (128 * 120 + 120) + (120 + 1)
    assert n_params == expected
    path = tmp_path / "sew.joblib"
    joblib.dump(sew, path)
    assert path.stat().st_size <= 1.25 * 4 * n_params + 256 * 1024
    restored = pickle.loads(pickle.dumps(sew))
    np.testing.assert_array_equal(restored.predict(X), sew.predict(X))


@pytest.mark.parametrize(
    "labels, dtype",
    [
        (["neg", "pos"], None),
        (["one", "three", "two"], None),
        (["neg", "pos"], object),
        ([0, 1, 2], None),
        ([1.0, 2.0], None),
    ],
)
def test_classifier_label_types(two_view_data, tiny, labels, dtype):
    # Covers scikit-learn's check_classifiers_classes, expected to fail only
    # for its classes [-1, 1] (-1 marks unlabeled rows): see test_common.py.
    X, Xs, y = two_view_data
    bins = np.quantile(y, np.linspace(0, 1, len(labels) + 1)[1:-1])
    target = np.asarray(labels, dtype=dtype)[np.digitize(y, bins)]
    clf = tiny(SEWClassifier, max_epochs=EPOCHS).fit(X, target, X_strong=Xs)
    assert list(clf.classes_) == labels
    assert clf.predict(X).dtype == target.dtype
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(labels))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.score(X, target) > 1.4 / len(labels)  # well above chance
    assert "train_alignment_loss" in clf.history_[-1]
    names = {name.split(".")[0] for name, _ in clf.module_.named_parameters()}
    assert names == {"weak_encoder", "regressor"}
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_a_target_column_without_any_label_is_refused(tiny):
    # fit succeeded and left the second output untrained.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    Y = rng.normal(size=(40, 2))
    Y[:, 1] = np.nan
    Y[:5, 0] = np.nan
    with pytest.raises(ValueError, match=r"y has no label in output\(s\) \[1\]"):
        tiny(SEWRegressor).fit(X, Y, X_strong=X[:, :2])


@pytest.mark.parametrize("sequence", [False, True])
def test_scoring_a_fold_without_labels_says_so(tiny, sequence):
    # "Found array with 0 sample(s)" / "Found empty input array" before;
    # ccc_score's message is the model.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    groups = np.repeat([0, 1], 20)
    params = dict(head="gru", sequence_length=5) if sequence else {}
    fit = dict(groups=groups) if sequence else {}
    reg = tiny(SEWRegressor, **params).fit(X, X[:, 0], **fit)
    with pytest.raises(ValueError, match="every value is NaN.*nothing to score"):
        reg.score(X, np.full(40, np.nan), **fit)
    with pytest.raises(ValueError, match="every value is NaN.*nothing to score"):
        reg.score(X, np.column_stack([X[:, 0], np.full(40, np.nan)]), **fit)
    y = np.where(X[:, 0] > 0, "up", "down")
    clf = tiny(SEWClassifier, **params).fit(X, y, **fit)
    with pytest.raises(ValueError, match="no labeled row.*nothing to score"):
        clf.score(X, np.full(40, -1), **fit)


def test_early_stopping_with_a_single_member_class_names_the_class(tiny):
    # train_test_split's message named the class code ([2]) and "groups".
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array(["a"] * 20 + ["b"] * 19 + ["c"])
    with pytest.raises(
        ValueError, match=r"class\(es\) \['c'\] have 1\. Pass early_stopping=False"
    ):
        tiny(SEWClassifier, early_stopping=True).fit(X, y)
    assert tiny(SEWClassifier, early_stopping=False).fit(X, y).classes_.size == 3


def test_string_labels_mixed_with_the_integer_unlabeled_marker(tiny):
    # "Unknown label type: unknown" before, though _unlabeled_labels accepts it.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array(["up" if v > 0 else "down" for v in X[:, 0]], dtype=object)
    y[::4] = -1
    clf = tiny(SEWClassifier).fit(X, y, X_strong=X[:, 1:])
    assert clf.classes_.tolist() == ["down", "up"]
    assert (clf.n_labeled_, clf.n_unlabeled_) == (30, 10)
    expected = np.mean(clf.predict(X[y != -1]) == y[y != -1])
    assert clf.score(X, y) == pytest.approx(expected)
