import numpy as np
import pytest
import torch

from sewlearn import DeepCCA

# The cheapest networks that still learn something: every test trains these
# unless it says what it changes, ``tiny(SEWRegressor, max_epochs=8)``.
TINY_SEW = dict(
    weak_hidden_layer_sizes=(16,),
    strong_hidden_layer_sizes=(8,),
    latent_dim=4,
    head_hidden_layer_sizes=(8,),
    n_cca_components=2,
    optimizer="adam",
    lr=1e-2,
    max_epochs=4,
    random_state=0,
)
TINY_DEEPCCA = dict(
    n_components=2,
    x_hidden_layer_sizes=(8,),
    y_hidden_layer_sizes=(8,),
    latent_dim=4,
    max_epochs=2,
    random_state=0,
)


def make_tiny(estimator, **changes):
    """``estimator`` (a class) in the tiny configuration, with ``changes``.

    The fixture :func:`tiny` hands this function to a test; test_common.py,
    whose estimators exist before any fixture runs, imports it.
    """
    base = TINY_DEEPCCA if issubclass(estimator, DeepCCA) else TINY_SEW
    return estimator(**{**base, **changes})


@pytest.fixture(scope="session")
def tiny():
    """:func:`make_tiny`: ``tiny(SEWClassifier, latent_dim=8)`` and so on."""
    return make_tiny


def pytest_configure(config):
    # The networks under test are small: one thread is as fast as two and does
    # not slow to a crawl when the machine is shared (pytest-xdist, CI).
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    """Seed numpy and torch so that every test is reproducible on its own."""
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def two_view_data():
    """A weak view, a strong view and a target driven by two latent factors.

    The weak view carries the factors linearly but with heavy noise; the
    strong view is a clean nonlinear function of them.
    """
    rng = np.random.default_rng(0)
    n = 400
    z = rng.normal(size=(n, 2))
    X_weak = z @ rng.normal(size=(2, 12)) + 1.5 * rng.normal(size=(n, 12))
    X_strong = np.tanh(z @ rng.normal(size=(2, 6))) + 0.05 * rng.normal(size=(n, 6))
    y = z[:, 0] + 0.5 * z[:, 1] ** 2 - 0.5
    return (
        X_weak.astype(np.float32),
        X_strong.astype(np.float32),
        y.astype(np.float32),
    )


@pytest.fixture(scope="module")
def small_data():
    """60 rows: a weak view of 5 features, a strong one of 3 and a target.

    For the tests of input checking, persistence and determinism, where what
    the network learns does not matter.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    X_strong = rng.normal(size=(60, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    return X, X_strong, y
