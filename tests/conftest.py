import numpy as np
import pytest
import torch


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
