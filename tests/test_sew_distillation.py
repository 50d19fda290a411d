"""SEW's output-level term ``L_kd`` (``distillation``) and its teachers."""

import io
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWClassifier, SEWRegressor, export_model, load_model
from sewlearn._losses import SEWLoss, distillation_loss
from sewlearn._modules import SEWModule
from sewlearn._sew import LINEAR_TEACHER_ALPHAS as ALPHAS
from sewlearn.exceptions import WeakTeacherWarning


@pytest.fixture(scope="module")
def semi(two_view_data):
    """The two views, the target, and the target with rows 100: unlabeled."""
    X, X_strong, y = two_view_data
    y_semi = y.copy()
    y_semi[100:] = np.nan
    return X, X_strong, y, y_semi


def _weights(model):
    return {k: v.clone() for k, v in model.module_.state_dict().items()}


@pytest.mark.parametrize("teacher", ["linear", "joint", Ridge()])
def test_zero_distillation_is_the_paper_loss_bit_for_bit(tiny, semi, teacher):
    X, X_strong, _, y_semi = semi
    paper = tiny(SEWRegressor).fit(X, y_semi, X_strong=X_strong)
    zero = tiny(SEWRegressor, distillation=0.0, teacher=teacher)
    zero.fit(X, y_semi, X_strong=X_strong)
    for key, value in _weights(paper).items():
        assert torch.equal(value, _weights(zero)[key])
    np.testing.assert_array_equal(zero.predict(X), paper.predict(X))
    # No teacher was fitted, no part added to the history.
    assert zero.teacher_score_ is None and zero.weak_score_ is None
    assert "train_distillation_loss" not in zero.history_[-1]


def test_joint_teacher_trains_and_is_dropped(tiny, semi):
    X, X_strong, _, y_semi = semi
    model = tiny(SEWRegressor, distillation=1.0, teacher="joint")
    model.fit(X, y_semi, X_strong=X_strong)
    last = model.history_[-1]
    assert last["train_teacher_loss"] > 0 and last["train_distillation_loss"] > 0
    # eq. 9 plus the teacher's own loss plus distillation * L_kd.
    parts = ("translation", "reconstruction", "alignment", "prediction", "teacher")
    expected = sum(last[f"train_{p}_loss"] for p in parts)
    expected += last["train_distillation_loss"]
    assert last["train_loss"] == pytest.approx(expected, rel=1e-5)
    # Deployment keeps W_E and R only: the same blocks as without the term.
    paper = tiny(SEWRegressor).fit(X, y_semi, X_strong=X_strong)
    assert set(_weights(model)) == set(_weights(paper))
    assert model.teacher_score_ is None  # no out-of-fold score in-network


def test_joint_teacher_gradients_reach_the_strong_side_only():
    """The teacher's loss trains S_E and the teacher; L_kd trains W_E and R."""
    torch.manual_seed(0)
    module = SEWModule(
        n_weak=5,
        n_strong={"strong": 3},
        n_outputs=1,
        weak_hidden=(8,),
        strong_hidden={"strong": (8,)},
        latent_dim=4,
        activation="tanh",
        head="mlp",
        head_hidden=(8,),
        build_translator=False,
        build_strong_encoder=True,
        build_strong_decoder=False,
        build_teacher="both",
    )
    loss = SEWLoss(alpha=0.0, beta=0.0, gamma=0.0, distillation=1.0)
    out = module(weak=torch.randn(16, 5), strong=torch.randn(16, 3))
    _, parts = loss(out, torch.randn(16, 1))

    def grads(name):
        module.zero_grad()
        parts[name].backward(retain_graph=True)
        return {
            block: sum(
                0.0 if p.grad is None else float(p.grad.abs().sum())
                for p in getattr(module, block).parameters()
            )
            for block in ("weak_encoder", "regressor", "strong", "teacher")
        }

    teacher = grads("teacher_loss")
    assert teacher["strong"] > 0 and teacher["teacher"] > 0
    assert teacher["weak_encoder"] == 0 and teacher["regressor"] == 0
    kd = grads("distillation_loss")
    assert kd["weak_encoder"] > 0 and kd["regressor"] > 0
    assert kd["strong"] == 0 and kd["teacher"] == 0  # the target is detached


@pytest.mark.parametrize(
    ("estimator", "teacher"),
    [
        (SEWRegressor, make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS))),
        (SEWClassifier, make_pipeline(StandardScaler(), LogisticRegression())),
    ],
)
def test_linear_teacher_is_the_default(tiny, two_view_data, estimator, teacher):
    """teacher="linear" is the scaled linear model on both views, guarded."""
    X, X_strong, y = two_view_data
    if estimator is SEWClassifier:
        y = (y > np.median(y)).astype(int)
    model = tiny(estimator, distillation=1.0).fit(X, y, X_strong=X_strong)
    explicit = tiny(estimator, distillation=1.0, teacher=teacher)
    explicit.fit(X, y, X_strong=X_strong)
    assert model.get_params()["teacher"] == "linear"
    assert model.teacher_score_ == pytest.approx(explicit.teacher_score_)
    assert model.weak_score_ == pytest.approx(explicit.weak_score_)
    np.testing.assert_array_equal(model.predict(X), explicit.predict(X))
    assert model.teacher_score_ > model.weak_score_  # the strong view helps


def test_distillation_term_covers_every_row():
    """L_kd is averaged over all rows; L_pr over the labeled ones only."""
    torch.manual_seed(0)
    y_pred = torch.randn(6, 1)
    teacher = torch.randn(6, 1)
    y = torch.tensor([[1.0], [2.0], [float("nan")]] * 2)
    out = {"y_pred": y_pred, "teacher_target": teacher, "strong": {}}
    total, parts = SEWLoss(has_unlabeled=True, distillation=0.5)(out, y)
    kd = ((y_pred - teacher) ** 2).mean()
    labeled = ~torch.isnan(y)
    pr = ((y_pred[labeled] - y[labeled]) ** 2).mean()
    assert float(parts["distillation_loss"]) == pytest.approx(float(kd))
    assert float(parts["prediction_loss"]) == pytest.approx(float(pr))
    assert float(total) == pytest.approx(float(pr + 0.5 * kd))


def test_classification_term_is_zero_when_the_student_agrees():
    torch.manual_seed(0)
    proba = torch.softmax(torch.randn(8, 3), dim=1)
    assert float(distillation_loss("cross_entropy", proba.log(), proba)) == (
        pytest.approx(0.0, abs=1e-6)
    )
    assert float(distillation_loss("cross_entropy", torch.randn(8, 3), proba)) > 0.01


def test_given_teacher_is_cross_fitted(tiny, semi):
    """A teacher that memorises gets its out-of-fold score, not its fit's.

    Fitted and scored on the same rows, a 1-nearest-neighbour teacher would
    copy their labels (R^2 = 1) and L_kd on them would repeat L_pr.
    """
    X, X_strong, _, y_semi = semi
    memoriser = KNeighborsRegressor(n_neighbors=1)
    model = tiny(SEWRegressor, distillation=1.0, teacher=memoriser)
    model.fit(X, y_semi, X_strong=X_strong)
    # Scored out of fold, as cross_val_predict would on the labeled rows
    # with X and X_strong side by side (R^2 is the same on scaled targets).
    both = np.hstack([X, X_strong])[:100]
    oof = cross_val_predict(memoriser, both, y_semi[:100], cv=KFold(5))
    assert model.teacher_score_ == pytest.approx(r2_score(y_semi[:100], oof))
    assert model.teacher_score_ < 0.9
    assert model.history_[-1]["train_distillation_loss"] > 0
    assert "train_teacher_loss" not in model.history_[-1]


def test_teacher_outputs_are_the_targets_of_the_term(tiny, semi):
    """With only L_kd and a constant teacher, predictions move to the constant."""
    X, X_strong, _, _ = semi
    y = np.full(len(X), np.nan)
    y[:10] = 0.0  # a few labels at 0; the teacher says 3 on every row
    y[10:20] = 6.0
    teacher = DummyRegressor(strategy="constant", constant=3.0)
    model = tiny(
        SEWRegressor,
        alpha=0.0,
        beta=0.0,
        gamma=0.0,
        distillation=10.0,
        teacher=teacher,
        standardize_target=False,
        max_epochs=30,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakTeacherWarning)
        model.fit(X, y, X_strong=X_strong)
    assert abs(np.median(model.predict(X[20:])) - 3.0) < 0.5


def test_weak_teacher_warns(tiny):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=80)
    noise = rng.normal(size=(80, 60))  # a "strong" view that is only noise
    model = tiny(SEWRegressor, distillation=1.0, teacher=Ridge(alpha=1e-3))
    with pytest.warns(WeakTeacherWarning, match="no better") as record:
        model.fit(X, y, X_strong=noise)
    assert model.teacher_score_ <= model.weak_score_
    assert record[0].filename == __file__  # attributed to the user's line


def test_classifier_with_given_and_joint_teachers(tiny, two_view_data):
    X, X_strong, y = two_view_data
    labels = np.where(y > np.median(y), "high", "low").astype(object)
    semi = labels.copy()
    semi[100:] = -1
    given = tiny(SEWClassifier, distillation=1.0, teacher=LogisticRegression())
    given.fit(X, semi, X_strong=X_strong)
    assert 0.5 < given.teacher_score_ <= 1.0
    assert given.history_[-1]["train_distillation_loss"] >= 0
    joint = tiny(SEWClassifier, distillation=1.0, teacher="joint")
    joint.fit(X, semi, X_strong=X_strong)
    assert joint.history_[-1]["train_teacher_loss"] > 0
    for model in (given, joint):
        proba = model.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
        assert set(model.predict(X)) <= {"high", "low"}


def test_sequence_model_and_several_strong_views(tiny, semi):
    X, X_strong, _, y_semi = semi
    groups = np.repeat(np.arange(8), 50)
    seq = tiny(
        SEWRegressor,
        head="gru",
        sequence_length=5,
        distillation=1.0,
        teacher=Ridge(),
    ).fit(X, y_semi, X_strong=X_strong, groups=groups)
    assert np.isfinite(seq.predict(X, groups=groups)).all()
    assert seq.teacher_score_ is not None
    views = {"audio": X_strong, "ecg": X_strong[:, :2]}
    joint = tiny(SEWRegressor, distillation=1.0, teacher="joint")
    joint.fit(X, y_semi, X_strong=views)
    assert joint.history_[-1]["train_teacher_loss"] > 0
    with pytest.raises(ValueError, match="other than 'weak' and 'teacher'"):
        tiny(SEWRegressor).fit(X, y_semi, X_strong={"teacher": X_strong})


def test_search_persistence_and_export(tiny, semi, tmp_path):
    X, X_strong, y, _ = semi
    search = GridSearchCV(
        tiny(SEWRegressor, max_epochs=2, teacher=Ridge()),
        {"distillation": [0.0, 1.0], "teacher__alpha": [0.1, 10.0]},
        cv=2,
    ).fit(X, y, X_strong=X_strong)
    assert len(search.cv_results_["params"]) == 4
    model = tiny(SEWRegressor, distillation=1.0, teacher=Ridge())
    model.fit(X, y, X_strong=X_strong)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict(X), model.predict(X))
    export_model(model, tmp_path / "kd.npz")
    loaded = load_model(tmp_path / "kd.npz")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)
    assert loaded.get_params()["distillation"] == 1.0
    # The format stores no teacher estimator: a refit says so.
    assert loaded.get_params()["teacher"] is None
    with pytest.raises(ValueError, match="needs a teacher"):
        loaded.fit(X, y, X_strong=X_strong)
