# License: BSD 3 clause
"""The differentiable CCA objective shared by SEWRegressor and DeepCCA.

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
for repeated singular values.
"""

import torch

__all__ = ["canonical_correlations", "cca_loss"]


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
        ``[0, 1)``, in the dtype of ``h1``. The linear algebra runs in
        float64 whatever the input dtype: it costs little at code widths of a
        few hundred and keeps float32 training stable.
    """
    if h1.ndim != 2 or h2.ndim != 2 or h1.shape[0] != h2.shape[0]:
        raise ValueError(
            "h1 and h2 must be 2-D with the same number of rows, got shapes "
            f"{tuple(h1.shape)} and {tuple(h2.shape)}."
        )
    if r1 <= 0 or r2 <= 0:
        raise ValueError(f"r1 and r2 must be positive, got r1={r1}, r2={r2}.")
    m = h1.shape[0]
    out_dtype = h1.dtype
    if m < 2:
        # One sample carries no covariance information: the objective is flat.
        k = min(h1.shape[1], h2.shape[1])
        return (h1.sum() + h2.sum()).to(out_dtype) * 0.0 + h1.new_zeros(k)
    h1 = h1.to(torch.float64)
    h2 = h2.to(torch.float64)
    h1 = h1 - h1.mean(dim=0, keepdim=True)
    h2 = h2 - h2.mean(dim=0, keepdim=True)
    scale = 1.0 / (m - 1)
    eye1 = torch.eye(h1.shape[1], dtype=h1.dtype, device=h1.device)
    eye2 = torch.eye(h2.shape[1], dtype=h2.dtype, device=h2.device)
    s11 = scale * (h1.T @ h1) + r1 * eye1  # eq. 6
    s22 = scale * (h2.T @ h2) + r2 * eye2  # eq. 7
    s12 = scale * (h1.T @ h2)  # eq. 5
    l1 = torch.linalg.cholesky(s11)
    l2 = torch.linalg.cholesky(s22)
    # t = L1^{-1} S12 L2^{-T}: same singular values as S11^-1/2 S12 S22^-1/2.
    a = torch.linalg.solve_triangular(l1, s12, upper=False)
    t = torch.linalg.solve_triangular(l2, a.T, upper=False).T
    return torch.linalg.svdvals(t).to(out_dtype)


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
