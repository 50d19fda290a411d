"""Unlabeled paired rows: NaN / -1 in ``y`` feed the strong-side losses only."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sewlearn import SEWClassifier, SEWRegressor, ccc_score, ccc_scorer
from sewlearn._losses import SEWLoss, masked_prediction_loss
from sewlearn._net import RandomValidSplit, TensorDictDataset

TINY = dict(
    weak_hidden_layer_sizes=(16,),
    strong_hidden_layer_sizes=(8,),
    latent_dim=4,
    regressor_hidden_layer_sizes=(8,),
    n_cca_components=2,
    optimizer="adam",
    lr=1e-2,
    max_epochs=4,
    random_state=0,
)


@pytest.fixture(scope="module")
def semi_data(request):
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


# -- the prediction loss never sees an unlabeled row --------------------------


@pytest.mark.parametrize("kind", ["mse", "ccc"])
def test_unlabeled_rows_give_no_prediction_gradient(kind):
    torch.manual_seed(0)
    head = torch.nn.Linear(3, 1)
    codes = torch.randn(8, 3)
    y = torch.full((8, 1), float("nan"))
    loss = masked_prediction_loss(kind, head(codes), y)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(head.weight.grad, torch.zeros_like(head.weight))
    assert torch.equal(head.bias.grad, torch.zeros_like(head.bias))


@pytest.mark.parametrize("kind", ["mse", "ccc", "cross_entropy"])
def test_masked_loss_equals_the_loss_on_the_labeled_rows(kind):
    torch.manual_seed(0)
    n_out = 3 if kind == "cross_entropy" else 1
    head = torch.nn.Linear(4, n_out)
    codes = torch.randn(12, 4)
    labeled = torch.tensor([1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0], dtype=torch.bool)
    if kind == "cross_entropy":
        y_full = torch.randint(0, 3, (12,))
        y_marked = torch.where(labeled, y_full, torch.full_like(y_full, -1))
    else:
        y_full = torch.randn(12, 1)
        y_marked = torch.where(labeled[:, None], y_full, torch.nan)

    def grads(loss):
        head.zero_grad()
        loss.backward()
        return [p.grad.clone() for p in head.parameters()]

    masked = masked_prediction_loss(kind, head(codes), y_marked)
    g_masked = grads(masked)
    reference = SEWLoss(prediction_loss=kind)(
        {"y_pred": head(codes[labeled])}, y_full[labeled]
    )[1]["prediction_loss"]
    g_reference = grads(reference)
    torch.testing.assert_close(masked, reference)
    for a, b in zip(g_masked, g_reference):
        torch.testing.assert_close(a, b)


def test_partially_labeled_rows_count_their_labeled_targets():
    y_pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    y_true = torch.tensor([[0.0, float("nan")], [1.0, 1.0]])
    # (1 - 0)^2, (3 - 1)^2, (4 - 1)^2 over 3 labeled entries.
    loss = masked_prediction_loss("mse", y_pred, y_true)
    assert loss.item() == pytest.approx((1 + 4 + 9) / 3)


# -- fitting ------------------------------------------------------------------


def test_unlabeled_rows_are_used_and_counted(semi_data, capsys):
    X, Xs, _, y_semi = semi_data
    semi = SEWRegressor(**TINY, verbose=1).fit(X, y_semi, X_strong=Xs)
    assert (semi.n_labeled_, semi.n_unlabeled_) == (60, 240)
    assert "60 labeled and 240 unlabeled rows" in capsys.readouterr().out
    supervised = SEWRegressor(**TINY).fit(X[:60], y_semi[:60], X_strong=Xs[:60])
    assert (supervised.n_labeled_, supervised.n_unlabeled_) == (60, 0)
    # The unlabeled rows train W_E through the strong-side losses.
    assert not np.allclose(semi.predict(X), supervised.predict(X))
    assert semi.history_[-1, "train_batch_count"] == 10  # ceil(300 / 32)
    assert np.isfinite(semi.history_[:, "train_loss"]).all()


def test_all_labeled_takes_the_supervised_path(semi_data, monkeypatch):
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
    SEWRegressor(**TINY).fit(X, y, X_strong=Xs)
    labels = (y > 0).astype(int)
    SEWClassifier(**TINY).fit(X, labels, X_strong=Xs)
    assert calls == []
    SEWRegressor(**TINY).fit(X, y_semi, X_strong=Xs)
    assert len(calls) > 0


def test_without_strong_side_unlabeled_rows_are_dropped(semi_data):
    X, Xs, _, y_semi = semi_data
    # alpha = gamma = 0: nothing of the strong side reaches W_E, so the fit is
    # the uni-modal one on the labeled rows, bit for bit.
    ablated = SEWRegressor(**{**TINY, "alpha": 0, "gamma": 0}).fit(
        X, y_semi, X_strong=Xs
    )
    uni = SEWRegressor(**TINY).fit(X[:60], y_semi[:60])
    np.testing.assert_array_equal(ablated.predict(X), uni.predict(X))
    assert ablated.n_unlabeled_ == 0


def test_classifier_minus_one_and_string_marker(semi_data):
    X, Xs, y, _ = semi_data
    labels = np.where(y > 0, 1, 0)
    labels[60:] = -1
    clf = SEWClassifier(**TINY).fit(X, labels, X_strong=Xs)
    assert list(clf.classes_) == [0, 1]
    assert clf.n_unlabeled_ == 240
    names = np.where(labels == 1, "pos", np.where(labels == 0, "neg", "-1"))
    clf_s = SEWClassifier(**TINY).fit(X, names, X_strong=Xs)
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
    semi_data, estimator, y, X_strong, match
):
    X, Xs, y_true, _ = semi_data
    targets = {
        "nan": np.where(np.arange(300) < 60, y_true, np.nan),
        "all_nan": np.full(300, np.nan),
        "minus_one": np.where(np.arange(300) < 60, y_true > 0, -1).astype(int),
        "all_minus_one": np.full(300, -1),
        "one_class_and_minus_one": np.where(np.arange(300) < 60, 1, -1),
    }
    sew = estimator(**TINY)
    with pytest.raises(ValueError, match=match):
        sew.fit(X, targets[y], X_strong=None if X_strong is None else Xs)
    # A failed fit leaves the estimator unfitted.
    assert not hasattr(sew, "n_features_in_")


# -- early stopping -------------------------------------------------------------


def test_validation_split_draws_labeled_rows_only():
    n = 200
    labeled = np.zeros(n, dtype=bool)
    labeled[::4] = True  # 50 labeled rows
    data = TensorDictDataset({"weak": torch.arange(n, dtype=torch.float32)[:, None]})
    train, valid = RandomValidSplit(0.2, 0, labeled=labeled)(data)
    valid_rows = valid.X["weak"][:, 0].long().numpy()
    train_rows = train.X["weak"][:, 0].long().numpy()
    assert len(valid_rows) == 10  # 20% of the 50 labeled rows
    assert labeled[valid_rows].all()
    assert set(train_rows) | set(valid_rows) == set(range(n))
    assert (~labeled).sum() == (~labeled[train_rows]).sum()  # all unlabeled train


def test_classifier_validation_split_is_stratified():
    y = np.array([0] * 90 + [1] * 10)
    data = TensorDictDataset({"weak": torch.arange(100, dtype=torch.float32)[:, None]})
    _, valid = RandomValidSplit(0.2, 0, stratify=y)(data)
    rows = valid.X["weak"][:, 0].long().numpy()
    assert np.bincount(y[rows]).tolist() == [18, 2]


def test_early_stopping_watches_labeled_rows(semi_data):
    X, Xs, _, y_semi = semi_data
    sew = SEWRegressor(**{**TINY, "max_epochs": 3}, early_stopping=True).fit(
        X, y_semi, X_strong=Xs
    )
    # 6 of the 60 labeled rows are held out: one validation batch, finite loss.
    assert sew.history_[-1, "valid_batch_count"] == 1
    assert np.isfinite(sew.history_[:, "valid_prediction_loss"]).all()


# -- scoring never sees an unlabeled row --------------------------------------


def test_scores_ignore_unlabeled_rows(semi_data):
    X, Xs, y, y_semi = semi_data
    sew = SEWRegressor(**TINY).fit(X, y_semi, X_strong=Xs)
    pred = sew.predict(X)
    assert ccc_score(y_semi, pred) == ccc_score(y[:60], pred[:60])
    assert sew.score(X, y_semi) == pytest.approx(sew.score(X[:60], y[:60]))
    labels = np.where(y > 0, 1, 0)
    labels[60:] = -1
    clf = SEWClassifier(**TINY).fit(X, labels, X_strong=Xs)
    assert clf.score(X, labels) == clf.score(X[:60], labels[:60])
    # Two targets: each is scored on its own labeled rows.
    y2 = np.c_[y, -y]
    y2[:10, 1] = np.nan
    expected = np.mean([ccc_score(y[:], pred), ccc_score(-y[10:], pred[10:])])
    assert ccc_score(y2, np.c_[pred, pred]) == pytest.approx(expected)


@pytest.mark.parametrize("scoring", [None, ccc_scorer])
def test_search_scores_labeled_rows_only(semi_data, scoring):
    X, Xs, y, y_semi = semi_data
    # Labeled and unlabeled rows interleaved, so every test fold has both.
    order = np.random.default_rng(1).permutation(len(X))
    X, Xs, y, y_semi = X[order], Xs[order], y[order], y_semi[order]
    cv = KFold(3)
    search = GridSearchCV(
        SEWRegressor(**TINY), {"alpha": [0.0, 1.0]}, cv=cv, scoring=scoring
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
