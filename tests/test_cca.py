"""sewlearn._cca: the CCA objectives of training and the closed-form CCA."""

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
    linear_cca,
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


@pytest.mark.parametrize("m, d", [(100, 128), (40, 24)])
def test_svd_that_fails_to_converge_falls_back_to_the_same_values(m, d, monkeypatch):
    """LAPACK's SVD can fail to converge on batches of m rows < width d (seen
    at 4 windows x 25 frames, width 128); the fallback gives the same values
    and gradients."""
    g = torch.Generator().manual_seed(m)
    h1 = torch.randn(m, d, generator=g, dtype=torch.float64)
    h2 = torch.randn(m, d, generator=g, dtype=torch.float64) + 0.5 * h1
    expected = _values_and_grads(_feature_space, h1, h2)

    def fails(t):
        raise torch.linalg.LinAlgError("linalg.svd: The algorithm failed to converge")

    monkeypatch.setattr(torch.linalg, "svdvals", fails)
    got = _values_and_grads(_feature_space, h1, h2)
    # The top singular values agree closely; tiny ones lose half their digits.
    np.testing.assert_allclose(got[0][:10], expected[0][:10], rtol=1e-9)
    np.testing.assert_allclose(got[0], expected[0], atol=1e-7)
    assert (got[0][:-1] >= got[0][1:]).all()  # decreasing, as svdvals gives
    for a, b in zip(got[1:], expected[1:]):
        assert torch.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7 * b.abs().max().item())
    # The public function takes it too, and the sample-space route steps aside.
    assert _sample_space(h1, h2, 1e-3, 2e-3) is None
    corr = canonical_correlations(h1, h2, r1=1e-3, r2=2e-3)
    np.testing.assert_allclose(corr[:10], expected[0][:10], rtol=1e-9)


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


# --- Eckart-Young (EY) loss -------------------------------------------------

from scipy.stats import ortho_group  # noqa: E402
from torch.func import vmap  # noqa: E402

from sewlearn._cca import ey_loss  # noqa: E402

_EY_RHO = np.array([0.9, 0.7, 0.5])


def _reference_ey(z1, z2, g1=None, g2=None):
    """Float64 NumPy reference, straight from the formula (``np.cov``, ddof=1)."""
    k = z1.shape[1]

    def a_and_b(u1, u2):
        joint = np.cov(np.hstack([u1, u2]), rowvar=False)  # blocks C11 C12 / C21 C22
        a = (joint[:k, k:] + joint[k:, :k]) / 2  # sum over i != j, / 2 views
        b = (joint[:k, :k] + joint[k:, k:]) / 2  # sum over i, / 2 views
        return a, b

    a, b = a_and_b(z1, z2)
    if g1 is None:
        _, b = a_and_b(z1[0::2], z2[0::2])  # even rows
        _, b_prime = a_and_b(z1[1::2], z2[1::2])  # odd rows
    else:
        _, b_prime = a_and_b(g1, g2)
    return -2 * np.trace(a) + np.trace(b @ b_prime)


@pytest.mark.parametrize("m", [4, 5, 32, 33])
def test_ey_matches_numpy_reference(m):
    rng = np.random.default_rng(m)
    z1 = rng.normal(size=(m, 4)) + 1.5  # non-zero means: each half is centred
    z2 = 0.6 * z1 + rng.normal(size=(m, 4))
    g1, g2 = rng.normal(size=(2, 7, 4))
    t = torch.from_numpy
    np.testing.assert_allclose(
        ey_loss(t(z1), t(z2)).item(), _reference_ey(z1, z2), rtol=1e-12
    )
    np.testing.assert_allclose(
        ey_loss(t(z1), t(z2), independent=(t(g1), t(g2))).item(),
        _reference_ey(z1, z2, g1, g2),
        rtol=1e-12,
    )
    # float32 in, float32 out, float64 inside.
    got32 = ey_loss(t(z1).float(), t(z2).float())
    assert got32.dtype == torch.float32 and got32.ndim == 0
    np.testing.assert_allclose(got32.item(), _reference_ey(z1, z2), rtol=1e-5)


def _exact_views(n=400, seed=0):
    """Views whose *sample* canonical correlations are exactly 0.9, 0.7, 0.5
    (and 0 for the three remaining pairs), mixed by invertible maps."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, 14))
    u, _ = np.linalg.qr(u - u.mean(0))  # orthonormal, centred columns
    u *= np.sqrt(n - 1)  # sample covariance I
    a, noise1, c, noise2 = u[:, :3], u[:, 3:8], u[:, 8:11], u[:, 11:]
    b = _EY_RHO * a + np.sqrt(1 - _EY_RHO**2) * c
    x = np.hstack([a, noise1]) @ (rng.normal(size=(8, 8)) + 3 * np.eye(8))
    y = np.hstack([b, noise2]) @ (rng.normal(size=(6, 6)) + 3 * np.eye(6))
    return a, b, x, y


def test_ey_optimum_is_minus_sum_of_squared_canonical_correlations():
    a, b, x, y = _exact_views()
    t = torch.from_numpy
    # The closed-form optimum: canonical variates scaled to variance rho_i,
    # in any common rotation.
    q = ortho_group.rvs(3, random_state=0)
    z1, z2 = t(a * np.sqrt(_EY_RHO) @ q), t(b * np.sqrt(_EY_RHO) @ q)
    value = ey_loss(z1, z2, independent=(z1, z2)).item()
    assert value == pytest.approx(-np.sum(_EY_RHO**2), abs=1e-12)  # -1.55
    # Unscaled canonical variates (variance 1) are not optimal for EY.
    assert ey_loss(t(a), t(b), independent=(t(a), t(b))).item() > value + 0.1
    # Minimising over all linear maps of the mixed views reaches the same
    # value and no lower; the optimal codes have covariance eigenvalues rho_i.
    torch.manual_seed(0)
    w1 = (0.1 * torch.randn(8, 3, dtype=torch.float64)).requires_grad_()
    w2 = (0.1 * torch.randn(6, 3, dtype=torch.float64)).requires_grad_()
    opt = torch.optim.LBFGS([w1, w2], max_iter=500, tolerance_grad=1e-12)
    xt, yt = t(x), t(y)

    def closure():
        opt.zero_grad()
        h1, h2 = xt @ w1, yt @ w2
        loss = ey_loss(h1, h2, independent=(h1, h2))
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    h1, h2 = (xt @ w1).detach(), (yt @ w2).detach()
    assert ey_loss(h1, h2, independent=(h1, h2)).item() == pytest.approx(
        -np.sum(_EY_RHO**2), abs=1e-8
    )
    # The value is quadratic in the distance to the optimum, so the argmin is
    # known to about the square root of the value's accuracy.
    np.testing.assert_allclose(
        np.linalg.eigvalsh(np.cov(h1.T)), _EY_RHO[::-1], atol=1e-4
    )
    np.testing.assert_allclose(
        canonical_correlations(h1, h2, r1=1e-12, r2=1e-12), _EY_RHO, atol=1e-4
    )


def _ey_linear_problem(seed):
    """Sampler of two views (dims 8 and 6) with population canonical
    correlations 0.9, 0.7, 0.5, 0, 0, 0, mixed by well-conditioned maps
    (random rotation times scales in [1/2, 2])."""
    rng = np.random.default_rng(seed)
    mix = [
        ortho_group.rvs(d, random_state=rng) * np.exp(rng.uniform(-0.7, 0.7, d))
        for d in (8, 6)
    ]

    def sample(n, sample_rng):
        z = sample_rng.normal(size=(n, 14))
        x, y = z[:, :8], z[:, 8:]
        y[:, :3] = _EY_RHO * x[:, :3] + np.sqrt(1 - _EY_RHO**2) * y[:, :3]
        return x @ mix[0], y @ mix[1]

    return sample


def _numpy_canonical_correlations(a, b):
    """Closed form, no ridge: singular values of Q_a^T Q_b (thin QR)."""
    qa, _ = np.linalg.qr(a - a.mean(0))
    qb, _ = np.linalg.qr(b - b.mean(0))
    return np.linalg.svd(qa.T @ qb, compute_uv=False)


def test_ey_sgd_at_batch_32_recovers_known_canonical_correlations():
    sample = _ey_linear_problem(seed=0)
    x, y = (torch.from_numpy(v) for v in sample(20_000, np.random.default_rng(1)))
    g = torch.Generator().manual_seed(0)
    w1 = (0.1 * torch.randn(8, 3, generator=g, dtype=torch.float64)).requires_grad_()
    w2 = (0.1 * torch.randn(6, 3, generator=g, dtype=torch.float64)).requires_grad_()
    steps = 1000
    opt = torch.optim.Adam([w1, w2], lr=3e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    batches = torch.randint(x.shape[0], (steps, 32), generator=g)
    for idx in batches:
        opt.zero_grad()
        ey_loss(x[idx] @ w1, y[idx] @ w2).backward()
        opt.step()
        sched.step()
    xh, yh = sample(200_000, np.random.default_rng(2))  # held out
    h1, h2 = xh @ w1.detach().numpy(), yh @ w2.detach().numpy()
    corr = _numpy_canonical_correlations(h1, h2)
    # Measured errors: -0.0002, -0.0023, -0.0001 (the held-out sample's own
    # top-3 canonical correlations are off by up to 0.0015); seeds 1 and 2 of
    # the mixing give the same to 1e-4.
    np.testing.assert_allclose(corr, _EY_RHO, atol=0.02)
    h1, h2 = torch.from_numpy(h1), torch.from_numpy(h2)
    # Measured -1.5433 (the optimum is -sum rho^2 = -1.55).
    assert ey_loss(h1, h2, independent=(h1, h2)).item() == pytest.approx(
        -1.55, abs=0.02
    )


def _mean_batch_gradient(loss_fn, x, y, w1, w2, batches=None):
    """Gradient of ``loss_fn`` on the whole of ``(x, y)``, or its mean over
    ``batches`` (index rows), w.r.t. the linear encoders, flattened."""
    if batches is None:
        loss = loss_fn(x @ w1, y @ w2)
    else:
        loss = vmap(loss_fn)(x[batches] @ w1, y[batches] @ w2).mean()
    return torch.cat([g.ravel() for g in torch.autograd.grad(loss, (w1, w2))])


def test_ey_batch_gradient_is_unbiased_and_cca_gradient_is_not():
    sample = _ey_linear_problem(seed=0)
    rng = np.random.default_rng(3)
    x, y = (torch.from_numpy(v) for v in sample(4096, rng))
    w1 = torch.from_numpy(rng.normal(size=(8, 3)) / np.sqrt(8)).requires_grad_()
    w2 = torch.from_numpy(rng.normal(size=(6, 3)) / np.sqrt(6)).requires_grad_()
    # 160 passes over the population, each cut into 128 disjoint batches of
    # 32 (rows drawn without replacement within a batch).
    g = torch.Generator().manual_seed(0)
    perms = [torch.randperm(4096, generator=g) for _ in range(160)]
    batches = torch.stack(perms).reshape(-1, 32)

    def relative_error(loss_fn, population_loss_fn):
        mean = _mean_batch_gradient(loss_fn, x, y, w1, w2, batches)
        full = _mean_batch_gradient(population_loss_fn, x, y, w1, w2)
        return (torch.linalg.norm(mean - full) / torch.linalg.norm(full)).item()

    def ey_same_batch(h1, h2):
        return ey_loss(h1, h2, independent=(h1, h2))

    def cca3(h1, h2):
        return cca_loss(h1, h2, n_components=3)

    # Measured relative errors: EY 0.0020, EY with B' = B from the same batch
    # 0.050, CCA (top-3 sum) 0.50. With 40 / 160 / 640 passes: EY 0.0037 /
    # 0.0020 / 0.0008 (Monte Carlo noise, shrinking as 1/sqrt(batches)),
    # same-batch EY 0.049 / 0.050 / 0.050 and CCA 0.50 / 0.50 / 0.49 (bias,
    # not shrinking). Mixing seeds 1 and 2: EY <= 0.0026, same-batch EY
    # 0.053-0.065, CCA 0.64-0.71.
    assert relative_error(ey_loss, ey_same_batch) < 0.02
    assert relative_error(ey_same_batch, ey_same_batch) > 0.035
    assert relative_error(cca3, cca3) > 0.3


@pytest.mark.parametrize("m", [2, 3])
def test_ey_finite_at_batch_2_and_3_with_whole_batch_fallback(m):
    g = torch.Generator().manual_seed(m)
    h1 = torch.randn(m, 5, generator=g).requires_grad_()
    h2 = torch.randn(m, 5, generator=g).requires_grad_()
    loss = ey_loss(h1, h2)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(h1.grad).all() and torch.isfinite(h2.grad).all()
    assert h1.grad.abs().sum() > 0
    # A half would have a single row: B' = B on the whole batch.
    a, b = h1.detach().double().numpy(), h2.detach().double().numpy()
    np.testing.assert_allclose(loss.item(), _reference_ey(a, b, a, b), rtol=1e-5)
    # Identical views and constant codes need no ridge either.
    x = torch.randn(m, 3, generator=g)
    assert torch.isfinite(ey_loss(x, x.clone()))
    assert ey_loss(torch.ones(m, 3), torch.ones(m, 3)).item() == 0.0


def test_ey_non_finite_input_gives_nan_without_raising():
    h = torch.randn(32, 4)
    bad = h.clone()
    bad[3, 1] = float("nan")
    assert torch.isnan(ey_loss(bad, h))
    assert torch.isnan(ey_loss(h, bad, independent=(h, h)))
    assert torch.isnan(ey_loss(h, h, independent=(bad, h)))
    bad[3, 1] = float("inf")
    assert torch.isnan(ey_loss(h, bad))
    # Batch of one: no covariance, a flat zero.
    one = torch.randn(1, 4, requires_grad=True)
    loss = ey_loss(one, torch.randn(1, 4))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(one.grad, torch.zeros_like(one))


def test_ey_rejects_bad_arguments():
    with pytest.raises(ValueError, match="same number of rows and columns"):
        ey_loss(torch.randn(5, 2), torch.randn(4, 2))
    with pytest.raises(ValueError, match="same number of rows and columns"):
        ey_loss(torch.randn(5, 2), torch.randn(5, 3))
    with pytest.raises(ValueError, match="width"):
        ey_loss(
            torch.randn(5, 2),
            torch.randn(5, 2),
            independent=(torch.randn(4, 3), torch.randn(4, 3)),
        )
    with pytest.raises(ValueError, match="at least 2 rows"):
        ey_loss(
            torch.randn(5, 2),
            torch.randn(5, 2),
            independent=(torch.randn(1, 2), torch.randn(1, 2)),
        )


# -- the closed-form linear CCA ---------------------------------------------------


def test_linear_cca_matches_the_training_objective():
    g = torch.Generator().manual_seed(0)
    h1 = torch.randn(300, 6, generator=g, dtype=torch.float64)
    h2 = torch.cat([h1[:, :2] ** 3, torch.randn(300, 3, generator=g)], dim=1)
    h2 = h2.to(torch.float64)
    x_mean, y_mean, x_rot, y_rot, corr = linear_cca(
        h1.numpy(), h2.numpy(), n_components=3, r1=1e-3, r2=1e-2
    )
    expected = canonical_correlations(h1, h2, r1=1e-3, r2=1e-2)[:3].numpy()
    np.testing.assert_allclose(corr, expected, rtol=1e-10)
    a = (h1.numpy() - x_mean) @ x_rot
    b = (h2.numpy() - y_mean) @ y_rot
    # Whitened with the ridge (eqs. 6-7), and the cross-covariance is diag(corr).
    np.testing.assert_allclose(
        np.cov(a.T) + 1e-3 * x_rot.T @ x_rot, np.eye(3), atol=1e-12
    )
    np.testing.assert_allclose(
        np.cov(b.T) + 1e-2 * y_rot.T @ y_rot, np.eye(3), atol=1e-12
    )
    np.testing.assert_allclose((a.T @ b) / 299, np.diag(corr), atol=1e-12)
