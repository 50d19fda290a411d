"""The CCA objective shared by SEWRegressor and DeepCCA."""

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sewlearn._cca import (
    _feature_space,
    _sample_space,
    canonical_correlations,
    cca_loss,
)


def _reference_correlations(h1, h2, r1, r2):
    """Float64 NumPy/SciPy reference: explicit inverse square roots and an SVD."""
    h1 = h1 - h1.mean(0)
    h2 = h2 - h2.mean(0)
    m = h1.shape[0]
    s11 = h1.T @ h1 / (m - 1) + r1 * np.eye(h1.shape[1])
    s22 = h2.T @ h2 / (m - 1) + r2 * np.eye(h2.shape[1])
    s12 = h1.T @ h2 / (m - 1)
    s11_isqrt = np.real(scipy.linalg.inv(scipy.linalg.sqrtm(s11)))
    s22_isqrt = np.real(scipy.linalg.inv(scipy.linalg.sqrtm(s22)))
    return np.linalg.svd(s11_isqrt @ s12 @ s22_isqrt, compute_uv=False)


def _correlated_views(m=800, d1=6, d2=5, shared=3, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(m, shared))
    h1 = z @ rng.normal(size=(shared, d1)) + 0.7 * rng.normal(size=(m, d1))
    h2 = z @ rng.normal(size=(shared, d2)) + 0.9 * rng.normal(size=(m, d2))
    return h1, h2


@pytest.mark.parametrize("r", [1e-6, 1e-3, 0.1])
def test_matches_numpy_reference(r):
    h1, h2 = _correlated_views()
    expected = _reference_correlations(h1, h2, r, 2 * r)
    got = canonical_correlations(
        torch.from_numpy(h1), torch.from_numpy(h2), r1=r, r2=2 * r
    ).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    loss = cca_loss(
        torch.from_numpy(h1).float(),
        torch.from_numpy(h2).float(),
        n_components=3,
        r1=r,
        r2=2 * r,
    )
    np.testing.assert_allclose(-loss.item(), expected[:3].sum(), rtol=1e-4)


def test_is_sum_of_singular_values_not_frobenius_norm():
    # Two canonical pairs with population correlations 0.9 and 0.5.
    rng = np.random.default_rng(1)
    m = 200_000
    a, b, c, d = rng.normal(size=(4, m))
    h1 = np.stack([a, b], 1)
    h2 = np.stack([0.9 * a + np.sqrt(1 - 0.81) * c, 0.5 * b + np.sqrt(0.75) * d], 1)
    value = -cca_loss(torch.from_numpy(h1), torch.from_numpy(h2), n_components=2)
    assert value.item() == pytest.approx(1.4, abs=0.01)  # Frobenius would be 1.03


def _finite_everywhere(h1, h2, n_components=10, r=1e-3):
    h1 = h1.clone().requires_grad_(True)
    h2 = h2.clone().requires_grad_(True)
    loss = cca_loss(h1, h2, n_components=n_components, r1=r, r2=r)
    loss.backward()
    return (
        bool(torch.isfinite(loss))
        and bool(torch.isfinite(h1.grad).all())
        and bool(torch.isfinite(h2.grad).all())
    )


def test_finite_at_papers_setting_batch_32_width_128_float32():
    # Batch smaller than width: the ridged covariances have a repeated
    # eigenvalue r, where eigh-based ports produce NaN gradients.
    g = torch.Generator().manual_seed(0)
    h1 = torch.randn(32, 128, generator=g)
    h2 = torch.randn(32, 128, generator=g)
    assert h1.dtype == torch.float32
    assert _finite_everywhere(h1, h2)


def test_finite_for_whitened_identical_and_constant_inputs():
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(64, 64, generator=g))
    q = q - q.mean(0)
    whitened = q[:, :16] * np.sqrt(63)  # identity covariance: all eigenvalues equal
    assert _finite_everywhere(whitened, q[:, 16:32] * np.sqrt(63))
    x = torch.randn(32, 128, generator=g)
    assert _finite_everywhere(x, x.clone())  # identical views
    const = torch.randn(32, 8, generator=g)
    const[:, 3] = 5.0  # a constant column
    assert _finite_everywhere(const, torch.randn(32, 8, generator=g), n_components=4)


def test_single_sample_batch_gives_zero_loss_and_zero_gradient():
    h1 = torch.randn(1, 4, requires_grad=True)
    h2 = torch.randn(1, 3, requires_grad=True)
    loss = cca_loss(h1, h2)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(h1.grad, torch.zeros_like(h1))


def test_invariant_to_invertible_linear_maps():
    h1, h2 = _correlated_views(m=2000)
    rng = np.random.default_rng(3)
    a1 = rng.normal(size=(6, 6)) + 3 * np.eye(6)
    a2 = rng.normal(size=(5, 5)) + 3 * np.eye(5)
    base = canonical_correlations(
        torch.from_numpy(h1), torch.from_numpy(h2), r1=1e-9, r2=1e-9
    )
    mapped = canonical_correlations(
        torch.from_numpy(h1 @ a1), torch.from_numpy(h2 @ a2), r1=1e-9, r2=1e-9
    )
    np.testing.assert_allclose(mapped.numpy(), base.numpy(), rtol=1e-5)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="same number of rows"):
        cca_loss(torch.randn(5, 2), torch.randn(4, 2))
    with pytest.raises(ValueError, match="positive"):
        cca_loss(torch.randn(5, 2), torch.randn(5, 2), r1=0.0)


@settings(max_examples=40, deadline=None)
@given(
    data=arrays(
        np.float32,
        st.tuples(st.integers(2, 40), st.just(10)),
        elements=st.floats(-100, 100, width=32),
    ),
    k=st.integers(1, 5),
)
def test_property_finite_and_in_zero_k(data, k):
    h1 = torch.from_numpy(data[:, :5].copy())
    h2 = torch.from_numpy(data[:, 5:].copy())
    corr = canonical_correlations(h1, h2)
    assert torch.isfinite(corr).all()
    assert (corr >= 0).all() and (corr <= 1 + 1e-5).all()
    assert torch.all(corr[:-1] >= corr[1:] - 1e-6)  # decreasing
    value = -cca_loss(h1, h2, n_components=k)
    assert 0.0 <= value.item() <= k + 1e-4
    assert _finite_everywhere(h1, h2, n_components=k)


def _values_and_grads(route, h1, h2, k=10, r1=1e-3, r2=2e-3):
    h1 = h1.clone().requires_grad_(True)
    h2 = h2.clone().requires_grad_(True)
    corr = route(h1, h2, r1, r2)
    if corr is None:
        return None
    loss = -corr[:k].sum()
    loss.backward()
    return corr.detach(), h1.grad, h2.grad


@pytest.mark.parametrize("m, d1, d2", [(32, 128, 128), (10, 40, 24), (2, 6, 4)])
def test_sample_space_route_matches_feature_space(m, d1, d2):
    g = torch.Generator().manual_seed(m)
    h1 = torch.randn(m, d1, generator=g, dtype=torch.float64)
    h2 = torch.randn(m, d2, generator=g, dtype=torch.float64)
    h2[:, :4] += h1[:, :4]  # some shared signal
    fast = _values_and_grads(_sample_space, h1, h2)
    assert fast is not None, "the sample-space route was not taken"
    slow = _values_and_grads(_feature_space, h1, h2)
    # m - 1 nonzero correlations, then zeros.
    np.testing.assert_allclose(fast[0], slow[0][: m - 1], rtol=1e-9, atol=1e-12)
    assert slow[0][m - 1 :].abs().max() < 1e-6
    for a, b in zip(fast[1:], slow[1:]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7 * b.abs().max().item())
    # And the public function returns the full-length vector of the slow route.
    got = canonical_correlations(h1, h2, r1=1e-3, r2=2e-3)
    np.testing.assert_allclose(got, slow[0], atol=1e-9)


def test_sample_space_route_falls_back_for_repeated_rows():
    g = torch.Generator().manual_seed(0)
    h1 = torch.randn(32, 128, generator=g, dtype=torch.float64)
    h2 = torch.randn(32, 128, generator=g, dtype=torch.float64) + 0.3 * h1
    h1[5] = h1[3]  # a repeated sample: rank m - 2, the QR factor is singular
    assert _sample_space(h1, h2, 1e-3, 2e-3) is None
    public = _values_and_grads(
        lambda a, b, r1, r2: canonical_correlations(a, b, r1=r1, r2=r2), h1, h2
    )
    slow = _values_and_grads(_feature_space, h1, h2)
    for a, b in zip(public, slow):
        np.testing.assert_array_equal(a, b)
    assert torch.isfinite(public[1]).all()


@pytest.mark.parametrize("m, d", [(32, 128), (200, 8)])
def test_non_finite_codes_give_nan_without_raising(m, d):
    # No error (raising would need a host-device synchronisation per step);
    # the training loop sees a NaN loss and names it.
    h1 = torch.randn(m, d)
    h1[3, 1] = float("nan")
    corr = canonical_correlations(h1, torch.randn(m, d))
    assert corr.shape == (d,)
    assert torch.isnan(corr).all()
    h1[3, 1] = float("inf")
    assert torch.isnan(cca_loss(h1, torch.randn(m, d)))


@settings(max_examples=40, deadline=None)
@given(
    data=arrays(
        np.float32,
        st.tuples(st.integers(2, 12), st.just(48)),
        elements=st.floats(-100, 100, width=32),
    )
)
def test_property_routes_agree(data):
    h1 = torch.from_numpy(data[:, :24].astype(np.float64))
    h2 = torch.from_numpy(data[:, 24:].astype(np.float64))
    np.testing.assert_allclose(
        canonical_correlations(h1, h2), _feature_space(h1, h2, 1e-3, 1e-3), atol=1e-6
    )
