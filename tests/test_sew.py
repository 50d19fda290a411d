"""SEWRegressor: the loss, the ablations, and use with scikit-learn tools."""

import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_score, ccc_scorer

SMALL = dict(
    weak_hidden_layer_sizes=(32,),
    strong_hidden_layer_sizes=(16,),
    latent_dim=8,
    regressor_hidden_layer_sizes=(16,),
    n_cca_components=4,
    optimizer="adam",
    lr=5e-3,
    max_epochs=15,
    random_state=0,
)


def test_fit_predict_and_loss_history(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs)
    pred = sew.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == np.float64
    assert sew.n_features_in_ == X.shape[1] and sew.n_features_strong_ == Xs.shape[1]
    assert sew.n_iter_ == 15 == len(sew.history_)
    parts = ["translation", "reconstruction", "alignment", "prediction"]
    for part in parts:
        curve = np.asarray(sew.history_[:, f"train_{part}_loss"])
        assert np.isfinite(curve).all()
        assert curve[-1] < curve[0], part  # every part is being minimised
    # The alignment loss is minus a sum of 4 canonical correlations.
    assert -4 <= sew.history_[-1, "train_alignment_loss"] < -1
    # The total loss is eq. 9 with alpha = beta = gamma = 1.
    last = sew.history_[-1]
    total = sum(last[f"train_{p}_loss"] for p in parts)
    assert last["train_loss"] == pytest.approx(total, rel=1e-5)
    assert ccc_score(y, pred) > 0.5


def test_two_dimensional_y(two_view_data):
    X, Xs, y = two_view_data
    Y = np.stack([y, -y], axis=1)
    sew = SEWRegressor(**SMALL).fit(X, Y, X_strong=Xs)
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
def test_ablations_are_loss_weights(two_view_data, weights, trained):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**{**SMALL, "max_epochs": 2}, **weights).fit(X, y, X_strong=Xs)
    recorded = {
        k[len("train_") : -len("_loss")]
        for k in sew.history_[-1]
        if k.startswith("train_") and k.endswith("_loss") and k != "train_loss"
    }
    assert recorded == trained | {"prediction"}


def test_without_strong_side_is_the_unimodal_network(two_view_data):
    X, Xs, y = two_view_data
    uni = SEWRegressor(**SMALL).fit(X, y)
    ablated = SEWRegressor(**SMALL, alpha=0, gamma=0).fit(X, y, X_strong=Xs)
    full = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs)
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
    sew.fit(X, y, X_strong=Xs)
    for key in ["train_loss", "train_alignment_loss", "train_translation_loss"]:
        assert np.isfinite(sew.history_[:, key]).all()
    assert sew.history_[-1, "train_alignment_loss"] < -1
    assert np.isfinite(sew.predict(X)).all()


def test_strong_modality_is_standardised_inside_fit(two_view_data):
    X, Xs, y = two_view_data
    a = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs)
    b = SEWRegressor(**SMALL).fit(X, y, X_strong=1000 * Xs + 7)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-3, atol=1e-3)


def test_ccc_prediction_loss(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**SMALL, prediction_loss="ccc").fit(X, y, X_strong=Xs)
    curve = sew.history_[:, "train_prediction_loss"]
    assert 0 <= curve[-1] < curve[0] <= 2  # 1 - CCC
    assert ccc_score(y, sew.predict(X)) > 0.5


def test_gru_regressor_head(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(
        **{**SMALL, "regressor_hidden_layer_sizes": (12, 12)}, regressor="gru"
    ).fit(X, y, X_strong=Xs)
    assert sum(1 for _ in sew.module_.regressor.grus) == 2
    assert ccc_score(y, sew.predict(X)) > 0.5


def test_same_random_state_same_predictions(two_view_data):
    X, Xs, y = two_view_data
    p1 = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs).predict(X)
    p2 = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs).predict(X)
    p3 = SEWRegressor(**{**SMALL, "random_state": 1}).fit(X, y, X_strong=Xs).predict(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)


def test_early_stopping_restores_best_epoch(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(
        **{**SMALL, "max_epochs": 200, "lr": 2e-2},
        early_stopping=True,
        n_iter_no_change=3,
    ).fit(X, y, X_strong=Xs)
    assert sew.n_iter_ < 200
    valid = np.asarray(sew.history_[:, "valid_prediction_loss"])
    assert np.isfinite(valid).all()
    assert "valid_alignment_loss" in sew.history_[-1]


def test_verbose_prints_loss_parts(two_view_data, capsys):
    X, Xs, y = two_view_data
    SEWRegressor(**{**SMALL, "max_epochs": 2}, verbose=1).fit(X, y, X_strong=Xs)
    out = capsys.readouterr().out
    for column in ["train_translation_loss", "train_alignment_loss", "train_loss"]:
        assert column in out
    SEWRegressor(**{**SMALL, "max_epochs": 2}).fit(X, y, X_strong=Xs)
    assert capsys.readouterr().out == ""


def test_divergence_names_the_broken_loss(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**{**SMALL, "optimizer": "sgd", "lr": 1e12, "max_epochs": 3})
    with pytest.raises(FloatingPointError, match=r"diverged.*_loss.*lower learning"):
        sew.fit(100 * X, y, X_strong=Xs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X_strong=np.full((400, 6), np.nan)), "X_strong"),
        (dict(X_strong=np.zeros((399, 6))), "X_strong has 399 samples but X has 400"),
    ],
)
def test_bad_strong_input(two_view_data, kwargs, match):
    X, _, y = two_view_data
    with pytest.raises(ValueError, match=match):
        SEWRegressor(**SMALL).fit(X, y, **kwargs)


def test_wrong_feature_count_at_predict(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**{**SMALL, "max_epochs": 1}).fit(X, y, X_strong=Xs)
    with pytest.raises(ValueError, match="X has 6 features"):
        sew.predict(Xs)


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
def test_grid_search_slices_x_strong_per_fold(two_view_data, n_jobs):
    X, Xs, y = _paired(two_view_data)
    grid = GridSearchCV(
        _PairedSliceCheck(**{**SMALL, "max_epochs": 3}),
        {"gamma": [0.0, 1.0], "alpha": [0.0, 1.0]},
        scoring=ccc_scorer,
        cv=KFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
        error_score="raise",
    )
    grid.fit(X, y, X_strong=Xs)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_estimator_.n_features_strong_ == Xs.shape[1] - 1


def test_grid_search_with_metadata_routing(two_view_data):
    X, Xs, y = _paired(two_view_data)
    with sklearn.config_context(enable_metadata_routing=True):
        est = _PairedSliceCheck(**{**SMALL, "max_epochs": 3}).set_fit_request(
            X_strong=True
        )
        grid = GridSearchCV(
            est, {"beta": [0.0, 1.0]}, scoring=ccc_scorer, cv=3, error_score="raise"
        )
        grid.fit(X, y, X_strong=Xs)
    assert grid.best_estimator_.n_features_strong_ == Xs.shape[1] - 1


def test_in_pipeline_and_cross_validate(two_view_data):
    X, Xs, y = two_view_data
    pipe = make_pipeline(StandardScaler(), SEWRegressor(**SMALL))
    pipe.fit(X, y, sewregressor__X_strong=Xs)
    assert pipe[-1].n_features_strong_ == Xs.shape[1]
    assert ccc_score(y, pipe.predict(X)) > 0.5
    scores = cross_validate(
        pipe, X, y, cv=3, scoring=ccc_scorer, params={"sewregressor__X_strong": Xs}
    )
    assert scores["test_score"].shape == (3,)
    assert scores["test_score"].mean() > 0.3


def test_joblib_round_trip_in_fresh_process(two_view_data, tmp_path):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs)
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
    sew = SEWRegressor(max_epochs=1, random_state=0).fit(X, y, X_strong=Xs)
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


def test_parameters_are_plain_and_cloneable():
    from sklearn.base import clone

    sew = SEWRegressor(alpha=0.5, weak_hidden_layer_sizes=(64, 32))
    params = clone(sew).get_params()
    assert params["alpha"] == 0.5 and params["weak_hidden_layer_sizes"] == (64, 32)
    assert all(
        isinstance(v, (int, float, str, tuple, bool, type(None)))
        for v in params.values()
    )
    with pytest.raises(ValueError, match="alpha"):
        SEWRegressor(alpha=-1).fit(np.ones((4, 2)), np.arange(4.0))
    with pytest.raises(ValueError, match="weak_hidden_layer_sizes"):
        SEWRegressor(weak_hidden_layer_sizes=(0,)).fit(np.ones((4, 2)), np.arange(4.0))


def test_transform_gives_the_weak_code(two_view_data):
    X, Xs, y = two_view_data
    sew = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs)
    codes = sew.transform(X)
    assert codes.shape == (len(X), SMALL["latent_dim"])
    # The code feeds another estimator in a Pipeline.
    from sklearn.linear_model import Ridge

    ridge = Ridge().fit(codes, y)
    assert ccc_score(y, ridge.predict(codes)) > 0.5


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
def test_classifier_label_types(two_view_data, labels, dtype):
    # Covers scikit-learn's check_classifiers_classes, expected to fail only
    # for its classes [-1, 1] (-1 marks unlabeled rows): see test_common.py.
    from sewlearn import SEWClassifier

    X, Xs, y = two_view_data
    bins = np.quantile(y, np.linspace(0, 1, len(labels) + 1)[1:-1])
    target = np.asarray(labels, dtype=dtype)[np.digitize(y, bins)]
    clf = SEWClassifier(**SMALL).fit(X, target, X_strong=Xs)
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


def test_several_strong_modalities(two_view_data):
    X, Xs, y = two_view_data
    rng = np.random.default_rng(1)
    second = np.tanh(Xs @ rng.normal(size=(6, 4))).astype(np.float32)
    views = {"audio": Xs, "physio": second}
    sew = SEWRegressor(
        **{**SMALL, "strong_hidden_layer_sizes": {"audio": (16,), "physio": (4,)}}
    ).fit(X, y, X_strong=views)
    assert sew.n_features_strong_ == {"audio": 6, "physio": 4}
    assert ccc_score(y, sew.predict(X)) > 0.5
    single = SEWRegressor(**SMALL).fit(X, y, X_strong=Xs)
    # Two CCA terms of K=4 each are summed: the alignment loss goes below -4.
    assert sew.history_[-1, "train_alignment_loss"] < -4
    assert single.history_[-1, "train_alignment_loss"] >= -4
    names = {name.split(".")[0] for name, _ in sew.module_.named_parameters()}
    assert names == {"weak_encoder", "regressor"}
    # A list of arrays is the same as a dict with names strong0, strong1.
    listed = SEWRegressor(**SMALL).fit(X, y, X_strong=[Xs, second])
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
def test_several_strong_modalities_bad_input(two_view_data, views, match):
    X, _, y = two_view_data
    with pytest.raises(ValueError, match=match):
        SEWRegressor(**SMALL).fit(X, y, X_strong=views)
