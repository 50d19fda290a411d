"""The alignment objectives in the estimators: "cca", "ey", the saturation
warning and the chance level recorded per epoch."""

import warnings

import numpy as np
import pytest
import torch

from sewlearn import DeepCCA, SEWClassifier, SEWRegressor
from sewlearn._cca import cca_loss, ey_loss
from sewlearn._losses import SEWLoss

TINY = dict(
    weak_hidden_layer_sizes=(16,),
    strong_hidden_layer_sizes=(8,),
    latent_dim=8,
    regressor_hidden_layer_sizes=(8,),
    n_cca_components=2,
    optimizer="adam",
    lr=1e-2,
    max_epochs=8,
    random_state=0,
)


@pytest.fixture(scope="module")
def related_views():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 2))
    X = z @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(400, 6))
    Xs = np.tanh(z @ rng.normal(size=(2, 5)))
    return X.astype(np.float32), Xs.astype(np.float32), z[:, 0]


@pytest.mark.parametrize("alignment", ["cca", "ey"])
def test_alignment_beats_its_chance_level(related_views, alignment):
    X, Xs, y = related_views
    sew = SEWRegressor(**TINY, alignment=alignment).fit(X, y, X_strong=Xs)
    aligned = sew.history_[-1, "train_alignment_loss"]
    chance = sew.history_[-1, "train_alignment_chance"]
    assert len(sew.history_[:, "train_alignment_chance"]) == sew.n_iter_
    # Views driven by the same factors: matched pairs align far better than
    # mismatched ones (the loss is lower is better).
    assert aligned < chance - 0.5
    # Only W_E and R are kept: the EY projections go with the strong side.
    names = {name.split(".")[0] for name, _ in sew.module_.named_parameters()}
    assert names == {"weak_encoder", "regressor"}


def test_ey_projections_are_k_wide(related_views):
    X, Xs, y = related_views
    from sewlearn._modules import SEWModule

    module = SEWModule(
        n_weak=6,
        n_strong={"strong": 5},
        n_outputs=1,
        weak_hidden=(16,),
        strong_hidden={"strong": (8,)},
        latent_dim=8,
        activation="tanh",
        regressor="mlp",
        regressor_hidden=(8,),
        build_translator=True,
        build_strong_encoder=True,
        build_strong_decoder=True,
        align_dim=3,
    )
    out = module(torch.as_tensor(X[:32]), strong=torch.as_tensor(Xs[:32]))
    branch = out["strong"]["strong"]
    assert branch["strong_projection"].shape == (32, 3)
    assert branch["weak_projection"].shape == (32, 3)
    # The loss of "ey" is ey_loss of the projections.
    loss = SEWLoss(alignment="ey", n_components=3)(out, torch.zeros(32, 1))[1]
    torch.testing.assert_close(
        loss["alignment_loss"],
        ey_loss(branch["strong_projection"], branch["weak_projection"]),
    )


def test_chance_level_is_the_loss_of_rolled_pairs():
    torch.manual_seed(0)
    strong, weak = torch.randn(16, 4), torch.randn(16, 4)
    out = {"weak_code": weak, "strong": {"s": {"strong_code": strong}}}
    criterion = SEWLoss(n_components=2)
    expected = cca_loss(strong.roll(1, dims=0), weak, n_components=2)
    torch.testing.assert_close(criterion.alignment_chance(out), expected)
    assert SEWLoss(gamma=0.0).alignment_chance(out) is None


def test_warns_when_the_cca_term_is_saturated(related_views):
    X, Xs, y = related_views
    params = {**TINY, "latent_dim": 32, "max_epochs": 1}
    with pytest.warns(UserWarning, match=r"batch_size=32 and latent_dim=32.*'ey'"):
        SEWRegressor(**params).fit(X, y, X_strong=Xs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # No alignment term, another objective, or batches wider than codes.
        SEWRegressor(**params).fit(X, y)
        SEWRegressor(**params, gamma=0.0).fit(X, y, X_strong=Xs)
        SEWRegressor(**params, alignment="ey").fit(X, y, X_strong=Xs)
        SEWRegressor(**{**params, "batch_size": 64}).fit(X, y, X_strong=Xs)
        SEWClassifier(**{**params, "batch_size": 64}).fit(X, y > 0, X_strong=Xs)


@pytest.mark.parametrize("objective", ["cca", "ey"])
def test_deepcca_objectives_find_the_shared_factors(related_views, objective):
    X, Xs, _ = related_views
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
