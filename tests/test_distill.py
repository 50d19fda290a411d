"""DistilledRegressor and DistilledClassifier: what reaches the student."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_predict,
    cross_validate,
)
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import (
    DistilledClassifier,
    DistilledRegressor,
    SEWClassifier,
    SEWRegressor,
)
from sewlearn.exceptions import WeakTeacherWarning


class RecordingRegressor(RegressorMixin, BaseEstimator):
    """A student that keeps what ``fit`` gave it and predicts the mean."""

    def fit(self, X, y, sample_weight=None):
        self.X_, self.y_ = np.asarray(X), np.asarray(y, dtype=float)
        self.sample_weight_ = sample_weight
        self.mean_ = self.y_.mean(axis=0)
        return self

    def predict(self, X):
        return np.tile(self.mean_, (len(X), 1)).squeeze()


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """A student that keeps what ``fit`` gave it (with ``sample_weight``)."""

    def fit(self, X, y, sample_weight=None):
        self.X_, self.y_ = np.asarray(X), np.asarray(y)
        self.sample_weight_ = sample_weight
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class RecordingRidge(Ridge):
    """A Ridge student that keeps the targets it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.y_ = np.asarray(y, dtype=float)
        return super().fit(X, y, sample_weight=sample_weight)


class StrongRecordingRegressor(RecordingRegressor):
    """A student whose ``fit`` also takes the strong view, as SEW's does."""

    def fit(self, X, y, X_strong=None):
        self.X_strong_ = X_strong
        return super().fit(X, y)


class UnweightedClassifier(RecordingClassifier):
    """The same, without ``sample_weight`` in ``fit``."""

    def fit(self, X, y):
        return super().fit(X, y)


@pytest.fixture(scope="module")
def views():
    """Weak view X (noisy), strong view S (clean), target y; 120 rows."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(120, 2))
    X = z @ rng.normal(size=(2, 5)) + 2.0 * rng.normal(size=(120, 5))
    S = z + 0.05 * rng.normal(size=(120, 2))
    y = z[:, 0] + 0.1 * rng.normal(size=120)
    return X, S, y


def test_labeled_rows_get_out_of_fold_teacher_outputs(views):
    # A 1-nearest-neighbour teacher memorises: fitted on all labeled rows it
    # returns their labels exactly, so only cross-fitting gives imitation a
    # signal on those rows.
    X, S, y = views
    teacher = KNeighborsRegressor(n_neighbors=1)
    model = DistilledRegressor(
        RecordingRegressor(),
        teacher,
        imitation=1.0,
        teacher_view="strong",
        cv=KFold(5),
        on_weak_teacher="ignore",
    ).fit(X, y, X_strong=S)
    np.testing.assert_array_equal(model.teacher_.predict(S), y)
    expected = cross_val_predict(teacher, S, y, cv=KFold(5))
    np.testing.assert_allclose(model.estimator_.y_, expected)
    assert np.abs(model.estimator_.y_ - y).min() > 0
    assert model.teacher_score_ == pytest.approx(sklearn.metrics.r2_score(y, expected))


def test_imitation_mixes_labels_and_teacher(views):
    X, S, y = views
    oof = cross_val_predict(Ridge(), S, y, cv=KFold(4))
    for imitation in (0.0, 0.3, 1.0):
        model = DistilledRegressor(
            RecordingRegressor(),
            Ridge(),
            imitation=imitation,
            teacher_view="strong",
            cv=KFold(4),
            on_weak_teacher="ignore",
        ).fit(X, y, X_strong=S)
        np.testing.assert_allclose(
            model.estimator_.y_, (1 - imitation) * y + imitation * oof
        )


def test_unlabeled_rows_reach_the_student_through_the_teacher(views):
    X, S, y = views
    y_semi = y.copy()
    y_semi[40:] = np.nan
    model = DistilledRegressor(
        RecordingRegressor(), Ridge(), imitation=0.0, teacher_view="both", cv=4
    ).fit(X, y_semi, X_strong=S)
    targets = model.estimator_.y_
    np.testing.assert_array_equal(model.estimator_.X_, X)  # every row, in order
    np.testing.assert_allclose(targets[:40], y[:40])  # imitation=0: labels
    # Unlabeled rows: the teacher fitted on the 40 labeled rows of both views,
    # whatever their true (hidden) targets are.
    teacher = Ridge().fit(np.hstack([X, S])[:40], y[:40])
    np.testing.assert_allclose(targets[40:], teacher.predict(np.hstack([X, S])[40:]))
    y_other = y_semi.copy()
    model_other = DistilledRegressor(
        RecordingRegressor(), Ridge(), imitation=0.0, teacher_view="both", cv=4
    ).fit(X, y_other, X_strong=S)
    np.testing.assert_allclose(model_other.estimator_.y_, targets)


def test_several_strong_views_are_concatenated(views):
    X, S, y = views
    model = DistilledRegressor(
        RecordingRegressor(), Ridge(), teacher_view="strong", on_weak_teacher="ignore"
    )
    split = model.fit(X, y, X_strong={"a": S[:, :1], "b": S[:, 1:]}).estimator_.y_
    whole = model.fit(X, y, X_strong=S).estimator_.y_
    np.testing.assert_allclose(split, whole)
    assert model.teacher_.n_features_in_ == 2
    both = model.set_params(teacher_view="both").fit(X, y, X_strong=[S[:, :1], S])
    assert both.teacher_.n_features_in_ == X.shape[1] + 3


def test_groups_hold_out_whole_groups():
    # The strong view is the group's id: a 1-NN teacher copies a row of the
    # same group unless the whole group is held out.
    rng = np.random.default_rng(0)
    groups = np.tile(np.arange(6), 10)  # interleaved: KFold mixes them
    S = groups[:, None].astype(float)
    y = 10.0 * groups + rng.normal(size=60)
    X = rng.normal(size=(60, 3))
    model = DistilledRegressor(
        RecordingRegressor(),
        KNeighborsRegressor(n_neighbors=1),
        imitation=1.0,
        teacher_view="strong",
        cv=3,
        on_weak_teacher="ignore",
    )
    within = model.fit(X, y, X_strong=S).estimator_.y_
    assert np.abs(within - 10.0 * groups).max() < 5
    across = model.fit(X, y, X_strong=S, groups=groups).estimator_.y_
    assert np.abs(across - 10.0 * groups).min() > 5


def test_guard_warns_and_falls_back(views):
    X, S, y = views
    rng = np.random.default_rng(1)
    noise = rng.normal(size=S.shape)
    y_semi = y.copy()
    y_semi[60:] = np.nan
    model = DistilledRegressor(Ridge(), Ridge(), teacher_view="strong")
    with pytest.warns(WeakTeacherWarning, match="no better"):
        model.fit(X, y_semi, X_strong=noise)
    assert model.teacher_score_ <= model.weak_score_
    assert not model.fallback_
    with pytest.warns(WeakTeacherWarning, match="labels alone"):
        fallback = DistilledRegressor(
            RecordingRidge(),
            Ridge(),
            teacher_view="strong",
            on_weak_teacher="fallback",
        ).fit(X, y_semi, X_strong=noise)
    assert fallback.fallback_
    np.testing.assert_allclose(fallback.estimator_.y_, y[:60])
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeakTeacherWarning)
        good = model.fit(X, y_semi, X_strong=S)
    assert good.teacher_score_ > good.weak_score_ + 0.2
    ignored = model.set_params(on_weak_teacher="ignore").fit(X, y_semi, X_strong=S)
    assert ignored.weak_score_ is None


@pytest.fixture(scope="module")
def class_views(views):
    X, S, y = views
    labels = np.where(y > 0.5, "high", np.where(y < -0.5, "low", "mid"))
    semi = labels.astype(object)
    semi[60:] = -1
    return X, S, labels, semi


def test_soft_targets_sum_to_one(class_views):
    X, S, labels, semi = class_views
    X_id = np.column_stack([np.arange(len(X)), X])  # to find each row's copies
    for temperature in (1.0, 3.0):
        model = DistilledClassifier(
            RecordingClassifier(),
            LogisticRegression(),
            imitation=0.5,
            temperature=temperature,
            teacher_view="strong",
            cv=3,
            on_weak_teacher="ignore",
        ).fit(X_id, semi, X_strong=S)
        assert model.targets_ == "soft"
        student = model.estimator_
        rows = student.X_[:, 0].astype(int)
        totals = np.bincount(rows, weights=student.sample_weight_)
        np.testing.assert_allclose(totals, 1.0, atol=3 * 1e-3)
        unlabeled = rows >= 60
        if temperature == 1.0:
            # Unlabeled rows: the teacher's probabilities (above 1e-3).
            proba = model.teacher_.predict_proba(S[60:])
            column = np.searchsorted(model.classes_, student.y_[unlabeled])
            np.testing.assert_allclose(
                student.sample_weight_[unlabeled],
                proba[rows[unlabeled] - 60, column],
            )
        else:
            hot = student.sample_weight_[unlabeled].max()
    assert hot < proba.max()  # the temperature softens


def test_hard_targets_threshold_and_weights(class_views):
    X, S, labels, semi = class_views
    model = DistilledClassifier(
        RecordingClassifier(),
        LogisticRegression(),
        imitation=0.0,
        targets="hard",
        threshold=0.9,
        teacher_view="strong",
        cv=3,
        on_weak_teacher="ignore",
    ).fit(X, semi, X_strong=S)
    student = model.estimator_
    proba = model.teacher_.predict_proba(S[60:])
    confident = proba.max(axis=1) >= 0.9
    assert 0 < confident.sum() < 60
    assert len(student.y_) == 60 + confident.sum()
    np.testing.assert_array_equal(student.y_[:60], labels[:60])
    np.testing.assert_array_equal(
        student.y_[60:], model.teacher_.classes_[proba[confident].argmax(axis=1)]
    )
    np.testing.assert_allclose(student.sample_weight_[:60], 1.0)
    np.testing.assert_allclose(student.sample_weight_[60:], proba[confident].max(1))


def test_student_without_sample_weight(class_views):
    X, S, labels, semi = class_views
    kwargs = dict(teacher_view="strong", cv=3, on_weak_teacher="ignore")
    model = DistilledClassifier(UnweightedClassifier(), LogisticRegression(), **kwargs)
    model.fit(X, semi, X_strong=S)
    assert model.targets_ == "hard"
    assert len(model.estimator_.y_) == len(X)  # one unweighted row each
    assert model.estimator_.sample_weight_ is None
    with pytest.raises(ValueError, match="targets='soft' needs a student"):
        model.set_params(targets="soft").fit(X, semi, X_strong=S)
    with pytest.raises(ValueError, match="does not accept sample_weight"):
        model.set_params(targets="auto").fit(
            X, semi, X_strong=S, sample_weight=np.ones(len(X))
        )


def test_classifier_predict_proba_maps_classes(class_views):
    X, S, labels, semi = class_views
    model = DistilledClassifier(
        LogisticRegression(), LogisticRegression(), teacher_view="strong", cv=3
    ).fit(X, semi, X_strong=S)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= set(model.classes_)
    assert model.teacher_score_ > model.weak_score_


def test_metadata_routing(views):
    X, S, y = views
    weight = np.linspace(0.5, 1.5, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        model = DistilledRegressor(
            RecordingRegressor().set_fit_request(sample_weight=True),
            Ridge().set_fit_request(sample_weight=False),
            teacher_view="strong",
            on_weak_teacher="ignore",
        ).fit(X, y, X_strong=S, sample_weight=weight)
        np.testing.assert_allclose(model.estimator_.sample_weight_, weight)
        unweighted = Ridge().fit(S, y)
        np.testing.assert_allclose(model.teacher_.coef_, unweighted.coef_)
        # Through cross_validate: X_strong is the meta-estimator's own.
        meta = DistilledRegressor(
            Ridge(), Ridge(), teacher_view="strong", on_weak_teacher="ignore"
        ).set_fit_request(X_strong=True)
        scores = cross_validate(meta, X, y, cv=3, params={"X_strong": S})
        assert np.all(scores["test_score"] > 0.2)
        with pytest.raises(Exception, match="sample_weight"):
            DistilledRegressor(Ridge(), Ridge(), on_weak_teacher="ignore").fit(
                X, y, X_strong=S, sample_weight=weight
            )
    with pytest.raises(TypeError, match="without metadata routing"):
        meta.fit(X, y, X_strong=S, foo=weight)


def test_grid_search(views):
    X, S, y = views
    y_semi = y.copy()
    y_semi[::3] = np.nan
    search = GridSearchCV(
        DistilledRegressor(Ridge(), Ridge(), cv=3, on_weak_teacher="ignore"),
        {
            "imitation": [0.0, 1.0],
            "teacher__alpha": [1.0, 10.0],
            "estimator__alpha": [1.0],
        },
        cv=3,
        error_score="raise",
    )
    # Score on labeled rows only: GridSearchCV's scorer needs finite targets.
    labeled = ~np.isnan(y_semi)
    search.fit(X[labeled], y_semi[labeled], X_strong=S[labeled])
    assert set(search.best_params_) == {
        "imitation",
        "teacher__alpha",
        "estimator__alpha",
    }
    assert search.best_score_ > 0.2


def test_pickle_and_joblib_round_trip(views, tiny, tmp_path):
    X, S, y = views
    model = DistilledRegressor(Ridge(), Ridge(), on_weak_teacher="ignore")
    model.fit(X, y, X_strong=S)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.teacher_score_ == model.teacher_score_
    sew = DistilledRegressor(
        tiny(SEWRegressor, max_epochs=1), Ridge(), cv=2, on_weak_teacher="ignore"
    ).fit(X, y, X_strong=S)
    joblib.dump(sew, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), sew.predict(X))


def test_sew_students(tiny, views, class_views):
    X, S, y = views
    y_semi = y.copy()
    y_semi[60:] = np.nan
    model = DistilledRegressor(
        tiny(SEWRegressor, max_epochs=2), Ridge(), cv=2, on_weak_teacher="ignore"
    ).fit(X, y_semi, X_strong=S)
    assert model.predict(X).shape == (len(X),)
    X, S, labels, semi = class_views
    clf = DistilledClassifier(
        tiny(SEWClassifier, max_epochs=2),
        LogisticRegression(),
        cv=2,
        on_weak_teacher="ignore",
    ).fit(X, semi, X_strong=S)
    assert clf.targets_ == "hard"
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_invalid_targets():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="at least 2 labeled"):
        DistilledRegressor(Ridge(), Ridge()).fit(X, [1.0, np.nan, np.nan, np.nan])
    with pytest.raises(ValueError, match="at least 2"):
        DistilledClassifier(LogisticRegression(), LogisticRegression()).fit(
            X, [1, 1, -1, -1]
        )


def test_estimator_strong_passes_the_strong_view(views):
    X, S, y = views
    y_semi = y.copy()
    y_semi[60:] = np.nan
    model = DistilledRegressor(
        StrongRecordingRegressor(), Ridge(), cv=3, estimator_strong=True
    ).fit(X, y_semi, X_strong=S)
    np.testing.assert_array_equal(model.estimator_.X_strong_, S)
    views_dict = {"a": S[:, :1], "b": S[:, 1:]}
    model.set_params(on_weak_teacher="fallback").fit(X, y, X_strong=views_dict)
    passed = model.estimator_.X_strong_
    assert set(passed) == {"a", "b"} and len(passed["a"]) == len(X)
    model.set_params(estimator_strong=False).fit(X, y_semi, X_strong=S)
    assert model.estimator_.X_strong_ is None
    piped = DistilledRegressor(
        make_pipeline(StandardScaler(), StrongRecordingRegressor()),
        Ridge(),
        estimator_strong=True,
        on_weak_teacher="ignore",
    ).fit(X, y_semi, X_strong=S)
    np.testing.assert_array_equal(piped.estimator_[-1].X_strong_, S)


def test_estimator_strong_with_a_sew_student(tiny, class_views):
    X, S, labels, semi = class_views
    clf = DistilledClassifier(
        tiny(SEWClassifier, max_epochs=2),
        LogisticRegression(),
        cv=2,
        threshold=0.6,
        on_weak_teacher="ignore",
        estimator_strong=True,
    ).fit(X, semi, X_strong=S)
    assert clf.estimator_.n_unlabeled_ == 0  # hard pseudo-labels: all labeled
    assert clf.estimator_.n_labeled_ < len(X)  # the threshold dropped some
    assert "train_alignment_loss" in clf.estimator_.history_[-1]  # strong side
