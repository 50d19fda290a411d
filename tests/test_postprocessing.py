"""PostProcessedRegressor: the AVEC baseline's post-processing, learnt."""

import joblib
import numpy as np
import pytest
import sklearn
from scipy import ndimage
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import NotFittedError, UnsetMetadataPassedError
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    GroupShuffleSplit,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_score
from sewlearn.postprocessing import PostProcessedRegressor

DELAY = 20  # frames by which the labels lag the features in the synthetic data


def _traces(
    n_recordings=8,
    n_frames=600,
    *,
    delay=DELAY,
    noise=0.0,
    n_features=5,
    scale=3.0,
    offset=2.0,
    seed=0,
):
    """Features that show a smooth trace ``delay`` frames before its labels.

    Per recording, a smooth unit-variance trace ``z`` (white noise through a
    Gaussian filter of 15 frames); the labels are ``scale * z(t) + offset``
    and the features at frame ``t`` show ``z(t + delay)`` on fixed loadings,
    plus white noise of standard deviation ``noise``. The loadings do not
    depend on ``seed``: other seeds give new recordings of the same problem.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n_recordings, n_frames + delay))
    z = ndimage.gaussian_filter1d(z, 15, axis=1)
    z /= z.std(axis=1, keepdims=True)
    shown = z[:, delay:].reshape(-1, 1)
    X = shown * np.linspace(1.0, 2.0, n_features)
    X += noise * rng.normal(size=X.shape)
    y = scale * z[:, :n_frames].ravel() + offset
    groups = np.repeat(np.arange(n_recordings), n_frames)
    return X, y, groups


class _Fixed(RegressorMixin, BaseEstimator):
    """Predicts ``coef * X[:, 0] + intercept``, whatever it is fitted on."""

    def __init__(self, coef=1.0, intercept=0.0):
        self.coef = coef
        self.intercept = intercept

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        return self.coef * np.asarray(X, dtype=float)[:, 0] + self.intercept


class _Spy(Ridge):
    """Ridge that records the length of ``X`` and of its fit parameters."""

    calls = []

    def fit(self, X, y, X_strong=None, weights=None, note=None):
        _Spy.calls.append(
            {
                "X": len(X),
                "X_strong": None if X_strong is None else len(X_strong),
                "weights": {k: len(v) for k, v in (weights or {}).items()},
                "note": note,
            }
        )
        return super().fit(X, y)


def test_recovers_known_delay_scale_and_offset():
    # The predictions are an exact affine map of the features, which show the
    # trace 20 frames early: the labels are 6 * prediction + 8.
    X, y, groups = _traces(n_features=1)
    model = PostProcessedRegressor(_Fixed(coef=0.5, intercept=-1.0))
    model.fit(X, y, groups=groups)
    assert model.delay_ == DELAY
    assert model.window_ == 1  # nothing to smooth away
    # 1-3 %: the first 20 frames of each recording are padded.
    assert model.scale_ == pytest.approx(6.0, rel=0.03)
    assert model.offset_ == pytest.approx(8.0, rel=0.03)
    assert model.best_score_ > 0.98


def test_recovers_delay_around_ridge_and_improves_ccc():
    # A Ridge fitted on lagged, noisy, scaled features: its predictions come
    # 20 frames early and shrunk (measured: CCC 0.57 raw, 0.99 post-processed).
    X, y, groups = _traces(noise=1.0)
    X_test, y_test, groups_test = _traces(noise=1.0, seed=1)
    model = PostProcessedRegressor(Ridge(alpha=10.0)).fit(X, y, groups=groups)
    assert abs(model.delay_ - DELAY) <= 5  # the default grid's step
    assert model.scale_ > 1.2  # undoes the shrinkage

    y_pred = model.predict(X_test, groups=groups_test)
    raw = model.estimator_.predict(X_test)
    assert ccc_score(y_test, y_pred) > ccc_score(y_test, raw) + 0.3
    # The post-processed predictions have the targets' mean and spread.
    assert abs(y_pred.mean() - y_test.mean()) < 0.1 * y_test.std()
    assert y_pred.std() == pytest.approx(y_test.std(), rel=0.1)


def test_smooths_noisy_predictions():
    X, y, groups = _traces(noise=2.0)
    X_test, y_test, groups_test = _traces(noise=2.0, seed=1)
    smoothed = PostProcessedRegressor(_Fixed()).fit(X, y, groups=groups)
    unsmoothed = PostProcessedRegressor(_Fixed(), windows=(1,))
    unsmoothed.fit(X, y, groups=groups)
    assert smoothed.window_ >= 11
    # Measured: CCC 0.86 without smoothing, 0.95 with.
    gain = ccc_score(y_test, smoothed.predict(X_test, groups=groups_test))
    gain -= ccc_score(y_test, unsmoothed.predict(X_test, groups=groups_test))
    assert gain > 0.05


@pytest.mark.parametrize("smoothing", ["mean", "median"])
def test_each_recording_post_processed_on_its_own(smoothing):
    # A known chain (no centring or scaling): smooth over 5 frames, delay by 3.
    X, y, groups = _traces(n_features=1)
    model = PostProcessedRegressor(
        _Fixed(), delays=(3,), windows=(5,), smoothing=smoothing, center=False
    )
    model.set_params(scale=False).fit(X, y, groups=groups)
    assert (model.delay_, model.window_, model.scale_, model.offset_) == (3, 5, 1, 0)

    # Two recordings at very different levels: across their boundary the
    # shift and the filter would mix them.
    a, b = np.arange(12.0), 100.0 + np.arange(12.0)
    X_new = np.concatenate([a, b])[:, None]
    groups_new = np.repeat(["a", "b"], 12)
    filt = ndimage.uniform_filter1d if smoothing == "mean" else ndimage.median_filter

    def expected(x):
        smoothed = filt(x, 5, mode="nearest")
        return smoothed[np.clip(np.arange(len(x)) - 3, 0, len(x) - 1)]

    y_pred = model.predict(X_new, groups=groups_new)
    np.testing.assert_allclose(y_pred, np.concatenate([expected(a), expected(b)]))
    assert y_pred[12:].min() >= 100  # b's frames get b's predictions only
    # As one recording, b's first frames would get a's last predictions.
    as_one = model.predict(X_new)
    np.testing.assert_allclose(as_one, expected(X_new[:, 0]))
    assert not np.allclose(as_one, y_pred)

    # Interleaved recordings (time order kept within each) give the same.
    order = np.ravel(np.column_stack([np.arange(12), 12 + np.arange(12)]))
    np.testing.assert_allclose(
        model.predict(X_new[order], groups=groups_new[order]), y_pred[order]
    )


def test_recording_shorter_than_window_is_padded():
    X, y, groups = _traces(n_features=1)
    model = PostProcessedRegressor(_Fixed(), delays=(0,), windows=(11,))
    model.set_params(center=False, scale=False).fit(X, y, groups=groups)
    short = np.array([[1.0], [4.0], [10.0]])
    np.testing.assert_allclose(
        model.predict(short),
        ndimage.uniform_filter1d(short[:, 0], 11, mode="nearest"),
    )


def test_without_groups_one_recording_in_contiguous_blocks():
    X, y, _ = _traces(n_recordings=1, n_frames=3000)
    model = PostProcessedRegressor(_Fixed()).fit(X, y)
    assert model.n_recordings_ == 1
    assert model.delay_ == DELAY


def test_multi_output_delay_per_output():
    X, y_20, groups = _traces(noise=0.5)
    X_40, y_40, _ = _traces(noise=0.5, delay=40)
    X = np.hstack([X, X_40])
    model = PostProcessedRegressor(Ridge(alpha=10.0)).fit(
        X, np.column_stack([y_20, y_40]), groups=groups
    )
    assert np.all(np.abs(model.delay_ - [20, 40]) <= 5)  # within a grid step
    assert model.window_.shape == model.scale_.shape == model.offset_.shape == (2,)
    assert model.cv_results_["ccc"].shape == (21 * 8, 2)
    assert model.predict(X, groups=groups).shape == (len(X), 2)


def test_unlabeled_rows_left_out():
    X, y, groups = _traces(n_features=1)
    y_missing = y.copy()
    y_missing[::7] = np.nan
    model = PostProcessedRegressor(_Fixed(coef=0.5, intercept=-1.0))
    model.fit(X, y_missing, groups=groups)
    assert model.delay_ == DELAY
    assert model.scale_ == pytest.approx(6.0, rel=0.03)


def test_cv_results_and_custom_splitter():
    X, y, groups = _traces(noise=1.0)
    model = PostProcessedRegressor(
        Ridge(),
        delays=range(0, 41, 10),
        windows=[1, 9],
        cv=GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0),
    ).fit(X, y, groups=groups)
    results = model.cv_results_
    np.testing.assert_array_equal(results["delay"], np.repeat([0, 10, 20, 30, 40], 2))
    np.testing.assert_array_equal(results["window"], np.tile([1, 9], 5))
    best = np.argmax(results["ccc"])
    assert (results["delay"][best], results["window"][best]) == (
        model.delay_,
        model.window_,
    )
    assert results["ccc"][best] == model.best_score_


def test_fit_params_sliced_for_held_out_fits():
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    n = len(X)
    _Spy.calls.clear()
    PostProcessedRegressor(_Spy(), cv=3).fit(
        X,
        y,
        groups=groups,
        X_strong=np.ones((n, 2)),
        weights={"a": np.ones(n), "b": np.ones(n)},
        note="whole",
    )
    assert len(_Spy.calls) == 4  # one fit per fold, then one on all the data
    for call in _Spy.calls:
        assert call["X_strong"] == call["X"]
        assert call["weights"] == {"a": call["X"], "b": call["X"]}
        assert call["note"] == "whole"
    assert [call["X"] for call in _Spy.calls] == [800, 800, 800, 1200]


def test_around_sew_regressor_with_x_strong(tiny):
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    X_strong = np.column_stack([X[:, 0], -X[:, 0]])
    sew = tiny(SEWRegressor, weak_hidden_layer_sizes=(8,), latent_dim=4, max_epochs=2)
    model = PostProcessedRegressor(sew).fit(X, y, groups=groups, X_strong=X_strong)
    assert model.estimator_.n_features_strong_ == 2
    assert model.n_features_in_ == X.shape[1]
    y_pred = model.predict(X, groups=groups)
    assert y_pred.shape == y.shape and np.isfinite(y_pred).all()


def test_around_sew_regressor_with_routing(tiny):
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    sew = tiny(SEWRegressor, weak_hidden_layer_sizes=(8,), latent_dim=4, max_epochs=2)
    with sklearn.config_context(enable_metadata_routing=True):
        model = PostProcessedRegressor(
            make_pipeline(StandardScaler(), sew.set_fit_request(X_strong=True))
        )
        model.fit(X, y, groups=groups, X_strong=X[:, :2])
    assert model.estimator_[-1].n_features_strong_ == 2


def _fold_recordings(groups, cv):
    """Number of recordings in each training set of ``cv``."""
    splits = cv.split(groups, groups=groups)
    return [len(np.unique(groups[train])) for train, _ in splits]


def test_cross_validate_routing_off():
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    outer = GroupKFold(n_splits=3)
    # groups for the splitter, and params={"groups": ...} for the estimator
    result = cross_validate(
        PostProcessedRegressor(Ridge()),
        X,
        y,
        groups=groups,
        cv=outer,
        params={"groups": groups},
        return_estimator=True,
    )
    fitted = [est.n_recordings_ for est in result["estimator"]]
    assert fitted == _fold_recordings(groups, outer) == [4, 4, 4]


def test_cross_validate_routing_on():
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    outer = GroupKFold(n_splits=3)
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError, match="set_fit_request"):
            cross_validate(
                PostProcessedRegressor(Ridge()),
                X,
                y,
                cv=outer,
                params={"groups": groups},
            )
        model = PostProcessedRegressor(Ridge()).set_fit_request(groups=True)
        model.set_score_request(groups=True)
        result = cross_validate(
            model,
            X,
            y,
            cv=outer,
            params={"groups": groups},
            return_estimator=True,
            return_indices=True,
        )
    fitted = [est.n_recordings_ for est in result["estimator"]]
    assert fitted == _fold_recordings(groups, outer) == [4, 4, 4]
    # score (the default scoring) got the test recordings too.
    for est, test, score in zip(
        result["estimator"], result["indices"]["test"], result["test_score"]
    ):
        per_recording = est.predict(X[test], groups=groups[test])
        assert score == pytest.approx(r2_score(y[test], per_recording))
        assert score != pytest.approx(est.score(X[test], y[test]))


def test_grid_search_with_routing():
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    with sklearn.config_context(enable_metadata_routing=True):
        # The default scoring, score, takes groups as well: request them.
        model = PostProcessedRegressor(Ridge()).set_fit_request(groups=True)
        model.set_score_request(groups=True)
        search = GridSearchCV(
            model,
            {"smoothing": ["mean", "median"], "estimator__alpha": [1.0, 100.0]},
            cv=GroupKFold(n_splits=3),
        ).fit(X, y, groups=groups)
    assert search.best_estimator_.n_recordings_ == 6
    assert len(search.cv_results_["params"]) == 4


def test_in_pipeline_routing_off():
    X, y, groups = _traces(noise=1.0, n_recordings=6, n_frames=200)
    pipe = make_pipeline(StandardScaler(), PostProcessedRegressor(Ridge()))
    pipe.fit(X, y, postprocessedregressor__groups=groups)
    assert pipe[-1].n_recordings_ == 6
    # Pipeline.predict passes its keyword arguments to the last step.
    np.testing.assert_allclose(
        pipe.predict(X, groups=groups),
        pipe[-1].predict(pipe[0].transform(X), groups=groups),
    )


def test_clone_and_joblib_round_trip(tmp_path):
    X, y, groups = _traces(noise=1.0, n_recordings=4, n_frames=200)
    model = PostProcessedRegressor(Ridge(alpha=3.0), windows=(1, 5))
    copy = clone(model)
    assert copy.get_params()["estimator__alpha"] == 3.0
    assert not hasattr(copy, "estimator_")
    model.fit(X, y, groups=groups)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(
        loaded.predict(X, groups=groups), model.predict(X, groups=groups)
    )


def test_n_jobs_same_result():
    X, y, groups = _traces(noise=1.0, n_recordings=4, n_frames=200)
    one = PostProcessedRegressor(Ridge()).fit(X, y, groups=groups)
    with joblib.parallel_config(backend="threading"):  # no process start-up
        two = PostProcessedRegressor(Ridge(), n_jobs=2).fit(X, y, groups=groups)
    np.testing.assert_array_equal(one.cv_results_["ccc"], two.cv_results_["ccc"])


def test_errors():
    X, y, groups = _traces(n_recordings=3, n_frames=50)
    model = PostProcessedRegressor(Ridge())
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="groups has 149 entries but X has 150"):
        model.fit(X, y, groups=groups[:-1])
    with pytest.raises(ValueError, match="groups must be 1-D"):
        model.fit(X, y, groups=groups[:, None])
    with pytest.raises(ValueError, match="delays must hold integers"):
        model.set_params(delays=[0, 2.5]).fit(X, y, groups=groups)
    with pytest.raises(ValueError, match="windows must be >= 1"):
        model.set_params(delays=None, windows=[0, 3]).fit(X, y, groups=groups)
    with pytest.raises(ValueError, match="smoothing"):
        model.set_params(windows=None, smoothing="gaussian").fit(X, y)
    with pytest.raises(ValueError, match="needs at least 3 samples"):
        model.set_params(smoothing="mean").fit(X[:2], y[:2])
    model.fit(X, y, groups=groups)
    with pytest.raises(ValueError, match="groups has 3 entries but X has 150"):
        model.predict(X, groups=groups[:3])


class _PositionInRecording(RegressorMixin, BaseEstimator):
    """Predicts each frame's position in its recording, as a sequence model
    sees recordings: without ``groups``, the whole input is one recording.
    ``fit`` records the number of recordings it was given."""

    fitted_recordings = []

    def fit(self, X, y, groups=None):
        self.n_features_in_ = np.shape(X)[1]
        n = 1 if groups is None else len(np.unique(groups))
        _PositionInRecording.fitted_recordings.append(n)
        return self

    def predict(self, X, groups=None):
        groups = np.zeros(len(X)) if groups is None else np.asarray(groups)
        position = np.empty(len(X))
        for g in np.unique(groups):
            position[groups == g] = np.arange(np.sum(groups == g))
        return position


def test_pipeline_holding_a_sequence_model_gets_groups_routing_off():
    # Pipeline.predict has **params, no ``groups`` parameter: groups were
    # never passed, so every recording was read as one.
    X, y, groups = _traces(n_recordings=4, n_frames=50)
    model = PostProcessedRegressor(
        make_pipeline(StandardScaler(), _PositionInRecording()),
        delays=(0,),
        windows=(1,),
        center=False,
        scale=False,
        cv=2,
    )
    _PositionInRecording.fitted_recordings = []
    model.fit(X, y, groups=groups)
    # two held-out fits on 2 recordings each, then the refit on all 4
    assert _PositionInRecording.fitted_recordings == [2, 2, 4]
    expected = np.tile(np.arange(50.0), 4)
    np.testing.assert_array_equal(model.predict(X, groups=groups), expected)
    assert model.score(X, expected, groups=groups) == 1.0
    # the step's own keyword, when given, is kept
    _PositionInRecording.fitted_recordings = []
    model.fit(X, y, groups=groups, _positioninrecording__groups=0 * groups)
    assert _PositionInRecording.fitted_recordings == [1, 1, 1]


def test_center_gives_the_training_mean_around_a_constant_model():
    # Around DummyRegressor, the held-out predictions differ only by their
    # folds' means: scale_ is huge (63 in the issue), and centring on the
    # held-out mean put the predictions far from the training mean (0.365
    # against -0.071, R^2 0.000 -> -0.190).
    X, y, groups = _traces(n_recordings=6, n_frames=100, seed=3)
    groups = np.minimum(groups, 3)  # recordings of 100, 100, 100 and 300 frames
    model = PostProcessedRegressor(DummyRegressor(), delays=(0,), windows=(1, 5))
    model.fit(X, y, groups=groups)
    assert model.scale_ > 2  # the premise: near-constant held-out predictions
    y_pred = model.predict(X, groups=groups)
    np.testing.assert_allclose(y_pred, y.mean(), rtol=1e-12)
    assert model.score(X, y, groups=groups) == pytest.approx(0.0, abs=1e-12)
    X_new, y_new, groups_new = _traces(n_recordings=2, n_frames=100, seed=4)
    np.testing.assert_allclose(
        model.predict(X_new, groups=groups_new), y.mean(), rtol=1e-12
    )


class _LabeledRidge(Ridge):
    """Ridge fitted on the labeled rows (y not NaN)."""

    def fit(self, X, y):
        labeled = ~np.isnan(y)
        return super().fit(X[labeled], y[labeled])


@pytest.mark.parametrize("center", [True, False])
def test_offset_centres_the_final_model_on_the_training_frames(center):
    # scale_ is learnt on held-out predictions; the centre it scales about is
    # the final model's mean on the (labeled) training frames.
    X, y, groups = _traces(n_recordings=6, n_frames=200, noise=1.0, seed=5)
    y = y.copy()
    y[::7] = np.nan
    model = PostProcessedRegressor(
        _LabeledRidge(alpha=1e3), delays=(0, 20), windows=(1, 11), center=center
    ).fit(X, y, groups=groups)
    labeled = ~np.isnan(y)
    y_pred = model.predict(X, groups=groups)
    raw = (y_pred - model.offset_) / model.scale_
    expected = np.mean(y[labeled]) if center else np.mean(raw[labeled])
    assert np.mean(y_pred[labeled]) == pytest.approx(expected, rel=1e-10)


def test_score_leaves_unlabeled_targets_out():
    # score raised "Input contains NaN" on unlabeled targets, so
    # cross_validate returned NaN scores with only a warning.
    X, y, groups = _traces(n_recordings=4, n_frames=100, noise=0.5)
    model = PostProcessedRegressor(
        _LabeledRidge(alpha=1.0), delays=(0, 20), windows=(1, 5), cv=2
    )
    y_missing = y.copy()
    y_missing[::3] = np.nan
    model.fit(X, y_missing, groups=groups)
    labeled = ~np.isnan(y_missing)
    y_pred = model.predict(X, groups=groups)
    expected = r2_score(y[labeled], y_pred[labeled])
    assert model.score(X, y_missing, groups=groups) == pytest.approx(expected)
    scores = cross_validate(
        model,
        X,
        y_missing,
        groups=groups,
        cv=GroupKFold(2),
        params={"groups": groups},
        error_score="raise",
    )["test_score"]
    assert np.all(np.isfinite(scores))
    with pytest.raises(ValueError, match="every value is NaN.*nothing to score"):
        model.score(X, np.full_like(y, np.nan), groups=groups)


def test_output_looks_ahead_by_half_the_window_minus_the_delay():
    # What the docs say of causality: frame t uses predictions up to
    # t + window_ // 2 - delay_.
    X, y, groups = _traces(n_recordings=3, n_frames=100)
    model = PostProcessedRegressor(_Fixed(), delays=(3,), windows=(11,)).fit(
        X, y, groups=groups
    )
    base = np.zeros((100, 1))
    impulse = base.copy()
    impulse[50] = 1.0
    changed = np.flatnonzero(model.predict(impulse) != model.predict(base))
    assert changed.tolist() == list(range(50 - 11 // 2 + 3, 50 + 11 // 2 + 3 + 1))
