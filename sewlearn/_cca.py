# License: BSD 3 clause
"""CCA: the differentiable objectives of training and the closed-form CCA.

The torch functions are the training losses shared by SEWRegressor and
DeepCCA; :func:`linear_cca` is their NumPy twin in closed form, with the
canonical directions, which DeepCCA fits on its final codes.

The quantity is the *sum of the top-K canonical correlations* between two
batches of codes (Andrew et al., 2013; SEW paper eqs. 4-7): the sum of the K
largest singular values of ``T = S11^{-1/2} S12 S22^{-1/2}``. It is **not** the
Frobenius norm of ``T`` (which some public ports compute by mistake).

Why Cholesky and not ``eigh``: inverse square roots through an
eigendecomposition have eigenvector gradients with ``1 / (lambda_i -
lambda_j)`` terms, which are infinite when eigenvalues repeat. They do repeat
whenever the batch is smaller than the code width (the paper's batch 32 and
latent 128): the rank-deficient covariance plus ``r * I`` has a repeated
eigenvalue ``r``. With ``S11 = L1 L1^T`` and ``S22 = L2 L2^T``,
``L1^{-1} S12 L2^{-T} = Q1 T Q2^T`` for orthogonal ``Q1, Q2``, so it has the
same singular values as ``T``, and the backward pass of a Cholesky factor and
of triangular solves has no such terms. The singular values come from
``torch.linalg.svdvals``, whose backward (``U diag(g) V^T``) is finite even
for repeated singular values (or, when LAPACK fails to converge on them,
from ``eigvalsh`` of the Gram matrix: :func:`_singular_values`).

Two routes to the same numbers. The *feature-space* route above factorises
``d x d`` matrices. When the batch is much smaller than the code width (the
paper's batch 32 and width 128), the covariances have rank at most ``m - 1``
and the nonzero singular values of ``T`` are those of a ``(m-1) x (m-1)``
matrix built in *sample space*: with ``D_i`` the centred batch in an
orthonormal basis of the vectors orthogonal to the ones (Helmert
coordinates), ``G_i = D_i D_i^T / (m-1) = R_i^T R_i`` (a thin QR of
``D_i^T / sqrt(m-1)``) and ``W_i W_i^T = R_i R_i^T + r_i I`` (Cholesky),
``F_i = W_i^{-1} R_i`` satisfies ``F_i^T F_i = G_i (G_i + r_i I)^{-1}`` and
the singular values of ``F_1 F_2^T`` are the nonzero singular values of
``T`` (push-through identity ``D S^{-1} = (G + r I)^{-1} D``). On the CPU,
with batches much narrower than the codes, this route is the faster one,
forward and backward (figures in the benchmarks of the documentation).
Its backward goes through the QR factor ``R_i``, whose inverse appears in the
gradient, so it is taken only when each ``R_i`` is well conditioned (a batch
with repeated rows, or codes of rank below ``m - 1``, falls back to the
feature-space route), and only on the CPU: the condition check reads a value
on the host, which would synchronise a GPU at every step.

``ey_loss`` is a different objective with the same optimal subspace: the
unconstrained Eckart-Young (EY) loss of Chapman, Wells & Lawry Aguila (ICLR
2024). It is a polynomial in the covariances (no inverse, no factorisation),
so a mini-batch estimate of it, and of its gradient, can be made unbiased;
the top-K correlation sum above cannot.
"""

import functools

import numpy as np
import torch
from scipy import linalg
from sklearn.utils.extmath import svd_flip

__all__ = ["canonical_correlations", "cca_loss", "ey_loss", "linear_cca"]

# The sample-space route is used when the batch has at most this fraction of
# the narrower code width (rows - 1 <= width / 2), below the measured
# crossover of the two routes' speed on a CPU.
_SAMPLE_SPACE_MAX_RATIO = 0.5
# Largest condition number of a view's sample-space factor R_i for which the
# sample-space route is taken. Its backward multiplies by R_i^{-1}: at 1e3
# the gradients agree with the feature-space route to about 1e-8 (relative,
# float64); exactly repeated rows have an infinite condition number.
_SAMPLE_SPACE_MAX_COND = 1e3


def canonical_correlations(h1, h2, *, r1=1e-3, r2=1e-3):
    """Canonical correlations between two batches of codes, in decreasing order.

    Parameters
    ----------
    h1 : torch.Tensor of shape (m, d1)
        First view (in SEW: the strong code ``m_ss``).
    h2 : torch.Tensor of shape (m, d2)
        Second view (in SEW: the weak code ``m_sw``).
    r1, r2 : float, default=1e-3
        Ridge added to the auto-covariances of ``h1`` and ``h2`` (eqs. 6-7).
        Must be positive.

    Returns
    -------
    torch.Tensor of shape (min(d1, d2),)
        The singular values of ``S11^{-1/2} S12 S22^{-1/2}``, each in
        ``[0, 1)``, in the dtype of ``h1``; all NaN when an input holds a
        non-finite value (no error is raised, so that no step has to wait for
        the device). The linear algebra runs in float64 whatever the input
        dtype: it costs little at code widths of a few hundred and keeps
        float32 training stable.
    """
    if h1.ndim != 2 or h2.ndim != 2 or h1.shape[0] != h2.shape[0]:
        raise ValueError(
            "h1 and h2 must be 2-D with the same number of rows, got shapes "
            f"{tuple(h1.shape)} and {tuple(h2.shape)}."
        )
    if r1 <= 0 or r2 <= 0:
        raise ValueError(f"r1 and r2 must be positive, got r1={r1}, r2={r2}.")
    m = h1.shape[0]
    k = min(h1.shape[1], h2.shape[1])
    out_dtype = h1.dtype
    if m < 2:
        # One sample carries no covariance information: the objective is flat.
        return (h1.sum() + h2.sum()).to(out_dtype) * 0.0 + h1.new_zeros(k)
    h1 = h1.to(torch.float64)
    h2 = h2.to(torch.float64)
    corr = None
    if h1.device.type == "cpu" and m - 1 <= _SAMPLE_SPACE_MAX_RATIO * k:
        corr = _sample_space(h1, h2, r1, r2)
    if corr is None:
        corr = _feature_space(h1, h2, r1, r2)
    else:
        # m - 1 nonzero values; the other k - m + 1 are exactly zero.
        corr = torch.cat([corr, corr.new_zeros(k - corr.shape[0])])
    return corr.to(out_dtype)


def _feature_space(h1, h2, r1, r2):
    """Singular values of ``L1^{-1} S12 L2^{-T}`` (``d x d`` linear algebra)."""
    m = h1.shape[0]
    h1 = h1 - h1.mean(dim=0, keepdim=True)
    h2 = h2 - h2.mean(dim=0, keepdim=True)
    scale = 1.0 / (m - 1)
    eye1 = torch.eye(h1.shape[1], dtype=h1.dtype, device=h1.device)
    eye2 = torch.eye(h2.shape[1], dtype=h2.dtype, device=h2.device)
    s11 = scale * (h1.T @ h1) + r1 * eye1  # eq. 6
    s22 = scale * (h2.T @ h2) + r2 * eye2  # eq. 7
    s12 = scale * (h1.T @ h2)  # eq. 5
    # cholesky_ex: a failed factorisation (non-finite input) becomes NaN
    # instead of an error that would need a host-device synchronisation.
    l1 = _nan_where_failed(*torch.linalg.cholesky_ex(s11))
    l2 = _nan_where_failed(*torch.linalg.cholesky_ex(s22))
    # t = L1^{-1} S12 L2^{-T}: same singular values as S11^-1/2 S12 S22^-1/2.
    a = torch.linalg.solve_triangular(l1, s12, upper=False)
    t = torch.linalg.solve_triangular(l2, a.T, upper=False).T
    # svdvals raises on non-finite input; feed it zeros and return NaN then.
    finite = torch.isfinite(t).all()
    corr = _singular_values(torch.where(finite, t, torch.zeros_like(t)))
    return torch.where(finite, corr, torch.full_like(corr, float("nan")))


def _singular_values(t):
    """``torch.linalg.svdvals(t)``, or the same values when it fails to converge.

    LAPACK's divide-and-conquer SVD (``gesdd``, torch's CPU driver) can fail
    on finite input with many repeated singular values, which is what ``T``
    has when a batch holds fewer rows than the code width but enough to take
    the feature-space route (e.g. 4 windows of 25 frames and width 128: 99
    values near 1, the rest near 0). The singular values are then taken as
    the square roots of the eigenvalues of the smaller Gram matrix
    (``eigvalsh``, which converges there; its backward, ``V diag(g) V^T``,
    needs no gap between eigenvalues either). They agree to about 1e-8
    (squaring halves the digits of the smallest values, which the loss does
    not use).
    """
    try:
        return torch.linalg.svdvals(t)
    except torch.linalg.LinAlgError:
        gram = t.T @ t if t.shape[1] <= t.shape[0] else t @ t.T
        eigenvalues = torch.linalg.eigvalsh(gram).flip(-1)
        # A floor above 0 keeps sqrt's backward finite (0 / tiny, not 0 / 0).
        return eigenvalues.clamp_min(torch.finfo(gram.dtype).tiny).sqrt()


def _nan_where_failed(factor, info):
    return torch.where(info == 0, factor, torch.full_like(factor, float("nan")))


@functools.lru_cache(maxsize=8)
def _helmert_basis(m):
    """``(m, m-1)`` orthonormal basis of the vectors orthogonal to the ones,
    scaled by ``1 / sqrt(m - 1)`` (built once per batch size, not per step)."""
    j = torch.arange(1, m, dtype=torch.float64)
    i = torch.arange(m, dtype=torch.float64)[:, None]
    z = torch.where(i < j, 1.0, torch.where(i == j, -j, 0.0))
    return z / torch.sqrt(j * (j + 1) * (m - 1))


def _sample_space(h1, h2, r1, r2):
    """Nonzero canonical correlations from ``(m-1) x (m-1)`` factors.

    CPU only (the conditioning check reads values on the host). Returns None
    when a view's sample-space factor is ill conditioned or not finite; the
    caller then takes the feature-space route.
    """
    m = h1.shape[0]
    basis = _helmert_basis(m)
    factors = []
    for h, r in ((h1, r1), (h2, r2)):
        if not torch.isfinite(h).all():
            return None
        # Centring and scaling in one product: G = D D^T / (m-1) = R^T R.
        _, rr = torch.linalg.qr(h.T @ basis)
        try:
            sv = torch.linalg.svdvals(rr.detach())
        except torch.linalg.LinAlgError:  # see _singular_values
            return None
        if not sv[-1] * _SAMPLE_SPACE_MAX_COND > sv[0]:
            return None
        eye = torch.eye(m - 1, dtype=h.dtype, device=h.device)
        w = torch.linalg.cholesky(rr @ rr.T + r * eye)
        factors.append(torch.linalg.solve_triangular(w, rr, upper=False))
    return _singular_values(factors[0] @ factors[1].T)


def cca_loss(h1, h2, *, n_components=10, r1=1e-3, r2=1e-3):
    """Alignment loss: minus the sum of the top-K canonical correlations.

    This is ``L_al = -CCA`` of the SEW paper (eq. 3 with eqs. 4-7), the Deep
    CCA objective of Andrew et al. (2013).

    Parameters
    ----------
    h1 : torch.Tensor of shape (m, d1)
        First view.
    h2 : torch.Tensor of shape (m, d2)
        Second view.
    n_components : int or None, default=10
        K, the number of canonical correlations summed; ``None`` sums all
        ``min(d1, d2)``. A K larger than ``min(d1, d2)`` sums all of them.
    r1, r2 : float, default=1e-3
        Ridge on the auto-covariances.

    Returns
    -------
    torch.Tensor (scalar)
        A value in ``[-K, 0]``; 0 for a batch of fewer than 2 samples.

    Examples
    --------
    >>> import torch
    >>> from sewlearn._cca import cca_loss
    >>> g = torch.Generator().manual_seed(0)
    >>> z = torch.randn(500, 2, generator=g)
    >>> h1 = torch.cat([z, torch.randn(500, 3, generator=g)], dim=1)
    >>> h2 = torch.cat([z @ torch.randn(2, 2, generator=g),
    ...                 torch.randn(500, 2, generator=g)], dim=1)
    >>> round(-cca_loss(h1, h2, n_components=2).item(), 1)
    2.0
    """
    corr = canonical_correlations(h1, h2, r1=r1, r2=r2)
    if n_components is not None:
        corr = corr[:n_components]
    return -corr.sum()


def ey_loss(h1, h2, *, independent=None, frames_per_window=1):
    r"""Eckart-Young CCA loss: an unbiased, inverse-free stand-in for CCA.

    The unconstrained objective of Chapman, Wells & Lawry Aguila, "Unconstrained
    stochastic CCA: unifying multiview and self-supervised learning" (ICLR 2024,
    arXiv:2310.01012), with the normalisation of cca-zoo's ``DCCA_EY``: for
    ``M = 2`` views,

    .. math::

        A = \frac{1}{M} \sum_{i \neq j} \operatorname{Cov}(Z_i, Z_j)
          = \frac{C_{12} + C_{21}}{2}, \qquad
        B = \frac{1}{M} \sum_i \operatorname{Cov}(Z_i, Z_i)
          = \frac{C_{11} + C_{22}}{2},

    .. math::

        L = -2 \operatorname{tr}(A) + \operatorname{tr}(B B'),

    where ``B'`` is ``B`` estimated on rows independent of those giving ``B``.
    (Recent cca-zoo releases also add the ``i = j`` terms to ``A``; that
    variant's optimum is ``-sum (1 + rho_i)^2``, not the value below.)

    Parameters
    ----------
    h1 : torch.Tensor of shape (m, k)
        First view's codes.
    h2 : torch.Tensor of shape (m, k)
        Second view's codes, rows paired with ``h1``; same width ``k``.
    independent : tuple of two torch.Tensor of shape (n, k), default=None
        Codes ``(g1, g2)`` of a batch drawn independently of ``(h1, h2)``
        (``n >= 2``, and ``n`` need not equal ``m``); ``B'`` is taken from
        them. When None, the batch is split by row parity: ``B`` comes from
        the even rows ``0, 2, 4, ...`` (``ceil(m/2)`` rows) and ``B'`` from
        the odd rows ``1, 3, 5, ...`` (the other ``floor(m/2)``), each half
        centred on its own mean; ``A`` uses the whole batch. For a batch of
        2 or 3 rows a half has a single row and no covariance, so ``B' = B``
        on the whole batch then (biased, but finite). Splitting by parity
        rather than into contiguous halves keeps the two halves alike when
        a loader hands over rows in a structured order.
    frames_per_window : int, default=1
        With ``L > 1``, the rows are windows of ``L`` consecutive frames,
        window after window (a sequence model's batch; ``m`` a multiple of
        ``L``). Frames of one window are not independent samples: the
        covariance of a batch centred on its own mean is then biased towards
        0, and so are halves split by row parity, which also hold
        neighbouring frames and so are not independent of each other. Each
        covariance (``A``, ``B``, ``B'``) is then estimated from pairs of
        rows of *different* windows only, ``(z_i - z_j)(z_i - z_j)^T / 2``
        averaged over them (unbiased for windows drawn independently, with
        no mean to estimate), and ``B``, ``B'`` come from the even and the
        odd windows. A batch of 2 or 3 windows has ``B' = B`` over the whole
        batch (biased, finite); a batch of one window is taken frame-wise as
        above (its frames as independent rows, biased). Ignored when
        ``independent`` is given, except for the estimates of ``A`` and
        ``B``.

    Returns
    -------
    torch.Tensor (scalar)
        The loss, in the dtype of ``h1`` (computed in float64). NaN when an
        input holds a non-finite value (no error is raised, so no step waits
        for the device). 0 for a batch of fewer than 2 rows.

    Notes
    -----
    **Value at the optimum.** Over all linear maps of two views whose top-k
    canonical correlations are ``rho_1 >= ... >= rho_k``, the population
    loss (``B' = B``, population covariances) has minimum

    .. math:: \min L = -\sum_{i=1}^{k} \rho_i^2 \in [-k, 0],

    reached when the codes span the top-k canonical directions, each scaled
    so that its variance in either view is ``rho_i`` (then ``B`` has
    eigenvalues ``rho_i`` and ``A`` has ``rho_i^2``); directions with zero
    correlation collapse to zero. The ``1/M`` normalisation does not change
    this value, only the optimal scale of the codes (by ``sqrt(M)``). More
    generally, with ``B' = B`` on any data, ``L(Z_1, Z_2) >= -sum rho_i^2``
    with ``rho_i`` the canonical correlations between ``Z_1`` and ``Z_2``
    themselves, so ``L >= -k``. Compare with ``cca_loss``, whose optimum is
    ``-sum rho_i`` in ``[-K, 0]``: the two agree only when every ``rho_i``
    is 0 or 1, and ``-sum rho_i^2 >= -sum rho_i`` otherwise (0.9, 0.7, 0.5
    give -1.55 here and -2.1 there). ``L`` also depends on the scale of the
    codes, so to report correlations, pass the codes to
    ``canonical_correlations``. A single split-batch value is an estimate
    whose expectation is the population loss; it is not bounded by ``-k``.

    **No ridge, no inverse.** ``L`` is a quartic polynomial in the codes: the
    whitening constraint of CCA is replaced by the ``tr(B B')`` penalty, so
    rank-deficient covariances (batch smaller than ``k``, constant codes)
    need no ridge and have finite gradients. Being linear in ``A`` and in
    each of ``B`` and ``B'``, the loss has an expectation over independent
    rows equal to the population loss, and so does its gradient, at any
    batch size; ``tr(B B)`` from a single batch would not, nor would any
    function of an inverse covariance such as ``cca_loss``.

    Examples
    --------
    >>> import torch
    >>> from sewlearn._cca import ey_loss
    >>> g = torch.Generator().manual_seed(0)
    >>> a, b, c = torch.randn(3, 200_000, 1, generator=g, dtype=torch.float64)
    >>> h1 = 0.8**0.5 * a  # variance 0.8 = the correlation: optimal scale
    >>> h2 = 0.8**0.5 * (0.8 * a + 0.6 * c)  # correlation 0.8 with h1
    >>> round(ey_loss(h1, h2, independent=(h1, h2)).item(), 2)  # -0.8 ** 2
    -0.64
    """
    _check_pair(h1, h2, "h1 and h2")
    if independent is not None:
        g1, g2 = independent
        _check_pair(g1, g2, "independent")
        if g1.shape[1] != h1.shape[1]:
            raise ValueError(
                f"independent codes have width {g1.shape[1]}, h1 has {h1.shape[1]}."
            )
        if g1.shape[0] < 2:
            raise ValueError(
                "independent needs at least 2 rows to estimate a covariance, "
                f"got {g1.shape[0]}."
            )
    out_dtype = h1.dtype
    m = h1.shape[0]
    if m < 2:
        # One sample carries no covariance information: the objective is flat.
        return (h1.sum() + h2.sum()).to(out_dtype) * 0.0
    h1 = h1.to(torch.float64)
    h2 = h2.to(torch.float64)
    length = int(frames_per_window)
    if length > 1 and m % length:
        raise ValueError(
            f"frames_per_window={length} does not divide the {m} rows of the batch."
        )
    if length > 1 and m >= 2 * length:
        return _ey_loss_windows(h1, h2, length, independent).to(out_dtype)
    c1 = h1 - h1.mean(dim=0, keepdim=True)
    c2 = h2 - h2.mean(dim=0, keepdim=True)
    # tr(A) = tr(C12 + C21) / 2 = tr(C12): no k x k product needed.
    trace_a = (c1 * c2).sum() / (m - 1)
    if independent is not None:
        b = _view_mean_cov(c1, c2)
        b_prime = _view_mean_cov(*_centred(independent))
    elif m >= 4:
        # Shapes, not values, decide the branch: no host read on a GPU.
        b = _view_mean_cov(*_centred((h1[0::2], h2[0::2])))
        b_prime = _view_mean_cov(*_centred((h1[1::2], h2[1::2])))
    else:
        b = b_prime = _view_mean_cov(c1, c2)
    # B and B' are symmetric: tr(B B') = sum of their elementwise product.
    return (-2.0 * trace_a + (b * b_prime).sum()).to(out_dtype)


def _between_windows(z1, z2, length):
    """``sum_ij (z1_i - z1_j)^T (z2_i - z2_j) / 2``-type estimate, pairs i, j
    of rows of different windows of ``length`` frames: ``(k, k)`` covariance.

    Over all ordered pairs, ``sum (a_i - a_j)(b_i - b_j)^T / 2 = m sum a b^T -
    (sum a)(sum b)^T``; the pairs within a window are taken out the same way,
    window by window. Centring first changes nothing but the rounding.
    """
    m, k = z1.shape
    n_windows = m // length
    c1 = z1 - z1.mean(dim=0, keepdim=True)
    c2 = z2 - z2.mean(dim=0, keepdim=True)
    s1 = c1.reshape(n_windows, length, k).sum(dim=1)
    s2 = c2.reshape(n_windows, length, k).sum(dim=1)
    pairs = m * m - n_windows * length * length
    return ((m - length) * (c1.T @ c2) + s1.T @ s2) / pairs


def _ey_loss_windows(h1, h2, length, independent):
    """:func:`ey_loss` of a batch of at least two windows (float64 inputs)."""
    m, k = h1.shape
    n_windows = m // length
    trace_a = torch.diagonal(_between_windows(h1, h2, length)).sum()

    def view_mean_cov(z1, z2):
        return (_between_windows(z1, z1, length) + _between_windows(z2, z2, length)) / 2

    if independent is not None:
        b = view_mean_cov(h1, h2)
        b_prime = _view_mean_cov(*_centred(independent))
    elif n_windows >= 4:
        w1, w2 = h1.reshape(n_windows, length, k), h2.reshape(n_windows, length, k)
        b = view_mean_cov(w1[0::2].reshape(-1, k), w2[0::2].reshape(-1, k))
        b_prime = view_mean_cov(w1[1::2].reshape(-1, k), w2[1::2].reshape(-1, k))
    else:
        b = b_prime = view_mean_cov(h1, h2)
    return -2.0 * trace_a + (b * b_prime).sum()


def _check_pair(z1, z2, name):
    if z1.ndim != 2 or z2.ndim != 2 or z1.shape != z2.shape:
        raise ValueError(
            f"{name} must be 2-D with the same number of rows and columns, got "
            f"shapes {tuple(z1.shape)} and {tuple(z2.shape)}."
        )


def _centred(pair):
    """Both views in float64, each centred on its own mean."""
    out = []
    for z in pair:
        z = z.to(torch.float64)
        out.append(z - z.mean(dim=0, keepdim=True))
    return out


def _view_mean_cov(c1, c2):
    """``B = (C11 + C22) / 2`` from centred codes (unbiased, ``ddof=1``)."""
    return (c1.T @ c1 + c2.T @ c2) / (2 * (c1.shape[0] - 1))


def linear_cca(hx, hy, *, n_components, r1, r2):
    """Closed-form regularised CCA of two code matrices (NumPy, float64).

    The same quantities as :func:`canonical_correlations` (eqs. 5-7), with the
    canonical directions: with ``Sxx = Lx Lx^T`` and ``Syy = Ly Ly^T``, the SVD
    ``Lx^{-1} Sxy Ly^{-T} = U diag(s) V^T`` gives ``Wx = Lx^{-T} U`` and
    ``Wy = Ly^{-T} V``, so that ``Wx^T Sxx Wx = I``, ``Wy^T Syy Wy = I`` and
    ``Wx^T Sxy Wy = diag(s)``.

    Parameters
    ----------
    hx : ndarray of shape (n_samples, dx)
        Codes of the first view.
    hy : ndarray of shape (n_samples, dy)
        Codes of the second view, rows paired with ``hx``.
    n_components : int
        ``k``, the number of canonical pairs returned.
    r1, r2 : float
        Ridge added to the covariance of ``hx`` and of ``hy`` (eqs. 6-7).

    Returns
    -------
    x_mean, y_mean : ndarray of shape (dx,), (dy,)
    x_rotations, y_rotations : ndarray of shape (dx, k), (dy, k)
    correlations : ndarray of shape (k,)
        The top ``k`` singular values ``s``, decreasing.
    """
    x_mean, y_mean = hx.mean(axis=0), hy.mean(axis=0)
    hx, hy = hx - x_mean, hy - y_mean
    scale = 1.0 / (len(hx) - 1)
    sxx = scale * (hx.T @ hx) + r1 * np.eye(hx.shape[1])  # eq. 6
    syy = scale * (hy.T @ hy) + r2 * np.eye(hy.shape[1])  # eq. 7
    sxy = scale * (hx.T @ hy)  # eq. 5
    lx = linalg.cholesky(sxx, lower=True)
    ly = linalg.cholesky(syy, lower=True)
    t = linalg.solve_triangular(lx, sxy, lower=True)
    t = linalg.solve_triangular(ly, t.T, lower=True).T
    u, s, vt = linalg.svd(t, full_matrices=False)
    # Signs of singular vectors are arbitrary: fix them for reproducible outputs.
    u, vt = svd_flip(u, vt)
    k = n_components
    x_rotations = linalg.solve_triangular(lx, u[:, :k], lower=True, trans="T")
    y_rotations = linalg.solve_triangular(ly, vt[:k].T, lower=True, trans="T")
    return x_mean, y_mean, x_rotations, y_rotations, s[:k]
