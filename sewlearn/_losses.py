# License: BSD 3 clause
"""The training losses as torch criteria: SEW's (paper eqs. 1-9) and Deep CCA's.

Each criterion returns ``(total, parts)`` for :class:`sewlearn._net.LossPartsNet`
and offers ``alignment_chance``, the alignment loss of mismatched pairs.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ._cca import cca_loss, ey_loss

# The alignment objectives (L_al), by the name of the ``alignment`` /
# ``objective`` parameter.
ALIGNMENTS = ("cca", "ey")

# Order matters: it is the order of eq. 9 and of the error message that names
# the first loss component to become non-finite.
COMPONENTS = (
    "translation_loss",  # L_tr, eq. 1
    "reconstruction_loss",  # L_ae, eq. 2
    "alignment_loss",  # L_al, eq. 3
    "prediction_loss",  # L_pr, eq. 8
)
# The output-level transfer's parts, after eq. 9's: the joint teacher's own
# prediction loss and the student's imitation of the teacher, L_kd.
DISTILLATION_COMPONENTS = ("teacher_loss", "distillation_loss")


def ccc_loss(y_pred, y_true, mask=None):
    """``1 - CCC`` per output column, averaged (population moments).

    Differentiable counterpart of :func:`sewlearn.ccc_score`; 0 is perfect
    agreement, 2 perfect disagreement. A batch where both columns are constant
    and equal has loss 0. With a boolean ``mask`` (the labeled entries), each
    column's moments are taken over its labeled rows only; a column with no
    labeled row in the batch contributes 0.
    """
    if y_pred.ndim == 1:
        y_pred, y_true = y_pred[:, None], y_true[:, None]
        mask = None if mask is None else mask[:, None]
    if mask is None:
        mu_p, mu_t = y_pred.mean(0), y_true.mean(0)
        var_p = y_pred.var(0, unbiased=False)
        var_t = y_true.var(0, unbiased=False)
        cov = ((y_pred - mu_p) * (y_true - mu_t)).mean(0)
    else:
        w = mask.to(y_pred.dtype)
        count = w.sum(0)
        w = w / count.clamp_min(1)
        mu_p, mu_t = (w * y_pred).sum(0), (w * y_true).sum(0)
        var_p = (w * (y_pred - mu_p) ** 2).sum(0)
        var_t = (w * (y_true - mu_t) ** 2).sum(0)
        cov = (w * (y_pred - mu_p) * (y_true - mu_t)).sum(0)
    denom = var_p + var_t + (mu_p - mu_t) ** 2
    eps = torch.finfo(y_pred.dtype).tiny
    ccc = torch.where(denom > 0, 2 * cov / denom.clamp_min(eps), torch.ones_like(cov))
    if mask is not None:
        ccc = torch.where(count > 0, ccc, torch.ones_like(ccc))
    return (1 - ccc).mean()


def alignment_objective(
    kind, h_strong, h_weak, *, n_components, r1, r2, frames_per_window=1
):
    """``L_al`` between two batches of codes, for either alignment objective.

    "cca": minus the sum of the top ``n_components`` canonical correlations
    (paper eqs. 3-7), ridges ``r1`` (strong) and ``r2`` (weak). "ey": the
    Eckart-Young loss of the codes given (already K wide), unbiased at any
    batch size, with no ridge (see :func:`sewlearn._cca.ey_loss`); with
    ``frames_per_window > 1`` the rows are windows of frames, and only pairs
    of frames of different windows enter its covariances, so that it stays
    unbiased (for batches of at least 4 windows).
    """
    if kind == "ey":
        return ey_loss(h_strong, h_weak, frames_per_window=frames_per_window)
    return cca_loss(h_strong, h_weak, n_components=n_components, r1=r1, r2=r2)


def distillation_loss(kind, y_pred, target):
    """``L_kd``: the weak head's distance to the teacher's outputs, every row.

    Regression ("mse" or "ccc" prediction loss): the mean squared difference
    from the teacher's outputs (in the standardised target space).
    Classification ("cross_entropy"): the Kullback-Leibler divergence from
    the teacher's class probabilities ``target`` to the softmax of the logits
    ``y_pred``, averaged over rows (0 when they agree).
    """
    if kind == "cross_entropy":
        return F.kl_div(F.log_softmax(y_pred, dim=1), target, reduction="batchmean")
    return F.mse_loss(y_pred, target.reshape(y_pred.shape))


def masked_prediction_loss(kind, y_pred, y_true):
    """``L_pr`` (eq. 8) averaged over the labeled entries of a batch only.

    Unlabeled entries are NaN (regression targets) or negative (class
    indices). They add nothing to the loss or its gradient; a batch without
    any labeled entry gives 0. No value is read on the host.
    """
    if kind == "cross_entropy":  # y_pred: logits, y_true: class indices or -1
        y_true = y_true.reshape(-1)
        mask = y_true >= 0
        per_row = F.cross_entropy(y_pred, y_true.clamp_min(0), reduction="none")
        weight = mask.to(per_row.dtype)
        return (per_row * weight).sum() / weight.sum().clamp_min(1)
    y_true = y_true.reshape(y_pred.shape)
    mask = ~torch.isnan(y_true)
    # NaN must not enter the arithmetic at all: 0 * NaN is NaN in the backward
    # pass of torch.where as in the forward one.
    y_true = torch.where(mask, y_true, torch.zeros_like(y_true))
    if kind == "ccc":
        return ccc_loss(y_pred, y_true, mask)
    # Per entry: a partially labeled row counts its labeled targets only.
    sq = torch.where(mask, (y_pred - y_true) ** 2, torch.zeros_like(y_pred))
    return sq.sum() / mask.sum().clamp_min(1)


class _AlignmentCriterion(nn.Module):
    """A criterion with an alignment term ``L_al``: its objective and settings."""

    frames_per_window = 1  # rows are windows of this many frames (see SEWLoss)

    def __init__(self, *, alignment, n_components, r1, r2):
        super().__init__()
        self.alignment = alignment
        self.n_components, self.r1, self.r2 = n_components, r1, r2

    def _alignment(self, h1, h2):
        return alignment_objective(
            self.alignment,
            h1,
            h2,
            n_components=self.n_components,
            r1=self.r1,
            r2=self.r2,
            frames_per_window=self.frames_per_window,
        )


class SEWLoss(_AlignmentCriterion):
    """``alpha*L_tr + beta*L_ae + gamma*L_al + L_pr`` (eq. 9), with its parts.

    ``forward(out, y)`` takes the dict returned by
    :class:`sewlearn._modules.SEWModule` and returns ``(total, parts)``; parts
    absent from ``out`` (blocks not built, no strong modality) are skipped, and
    with several strong modalities each part is the sum over them. With
    ``has_unlabeled=True`` some rows of ``y`` carry no label (NaN targets,
    class index -1): they feed every part but the prediction loss. With
    ``frames_per_window > 1`` (a sequence model) the rows of ``out`` are the
    frames of windows of that many consecutive frames, flattened window after
    window.
    """

    def __init__(
        self,
        *,
        alpha=1.0,
        beta=1.0,
        gamma=1.0,
        n_components=10,
        r1=1e-3,
        r2=1e-3,
        prediction_loss="mse",
        has_unlabeled=False,
        alignment="cca",
        frames_per_window=1,
        distillation=0.0,
    ):
        super().__init__(alignment=alignment, n_components=n_components, r1=r1, r2=r2)
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.prediction_loss = prediction_loss
        self.has_unlabeled = has_unlabeled
        self.frames_per_window = frames_per_window
        self.distillation = distillation

    def _predicted(self, y_pred, y):
        """The prediction loss of ``y_pred`` (L_pr's form, labeled rows only)."""
        if self.has_unlabeled:
            # Semi-supervised fit: L_pr over the labeled rows of the batch;
            # the other parts see every row of the batch.
            return masked_prediction_loss(self.prediction_loss, y_pred, y)
        if self.prediction_loss == "cross_entropy":  # y_pred: logits, y: labels
            return F.cross_entropy(y_pred, y.reshape(-1))
        if self.prediction_loss == "ccc":
            return ccc_loss(y_pred, y.reshape(y_pred.shape))
        return F.mse_loss(y_pred, y.reshape(y_pred.shape))

    def forward(self, out, y):
        y_pred = out["y_pred"]
        parts = {"prediction_loss": self._predicted(y_pred, y)}
        total = parts["prediction_loss"]
        # With several strong modalities, each part is summed over them.
        for branch in out.get("strong", {}).values():
            terms = {}
            if "translation" in branch:
                terms["translation_loss"] = (
                    F.mse_loss(branch["translation"], branch["strong"]),
                    self.alpha,
                )
            if "reconstruction" in branch:
                terms["reconstruction_loss"] = (
                    F.mse_loss(branch["reconstruction"], branch["strong"]),
                    self.beta,
                )
            if "strong_code" in branch and self.gamma != 0:
                # L_al = -CCA(m_ss, m_sw); r1 regularises the strong view, r2 the weak.
                terms["alignment_loss"] = (
                    self._alignment(*self._aligned_codes(out, branch)),
                    self.gamma,
                )
            for name, (value, weight) in terms.items():
                parts[name] = parts[name] + value if name in parts else value
                total = total + weight * value
        if self.distillation:
            total = self._distill(out, y, parts, total)
        return total, parts

    def _distill(self, out, y, parts, total):
        """Add the teacher's own loss (joint teacher) and ``distillation * L_kd``.

        The joint teacher learns the labeled rows with L_pr's loss (weight 1;
        its gradient reaches ``S_E`` too, never ``W_E``); the student imitates
        its outputs detached, so that ``L_kd`` moves the weak side only.
        """
        if "teacher_pred" in out:
            teacher = out["teacher_pred"]
            parts["teacher_loss"] = self._predicted(teacher, y)
            total = total + parts["teacher_loss"]
            target = teacher.detach()
            if self.prediction_loss == "cross_entropy":
                target = F.softmax(target, dim=1)
        else:
            target = out["teacher_target"]
        parts["distillation_loss"] = distillation_loss(
            self.prediction_loss, out["y_pred"], target
        )
        return total + self.distillation * parts["distillation_loss"]

    def _aligned_codes(self, out, branch):
        if self.alignment == "ey":
            return branch["strong_projection"], branch["weak_projection"]
        return branch["strong_code"], out["weak_code"]

    @torch.no_grad()
    def alignment_chance(self, out):
        """The alignment loss with the strong rows of the batch mismatched.

        The strong codes are rolled by one row, so no row meets its own
        pair (no random draw: the training's random stream is untouched).
        With windows, by one window: neighbouring frames of one window are
        nearly the same pair, frames of another window are not. A trained
        alignment loss well below this value carries signal; one near it is
        at chance. None when no alignment term is trained.
        """
        if self.gamma == 0:
            return None
        total = None
        for branch in out.get("strong", {}).values():
            if "strong_code" not in branch:
                continue
            h_strong, h_weak = self._aligned_codes(out, branch)
            shift = self.frames_per_window
            shift = shift if len(h_strong) > shift else 1  # a batch of one window
            value = self._alignment(h_strong.roll(shift, dims=0), h_weak)
            total = value if total is None else total + value
        return total


class DeepCCALoss(_AlignmentCriterion):
    """Deep CCA's loss: the alignment loss ``L_al`` of the two views' codes.

    With ``objective="cca"``, minus the sum of the top-K canonical
    correlations of the codes (eqs. 4-7); with "ey", the Eckart-Young loss.
    The one part is ``alignment_loss``, as in :class:`SEWLoss`.
    """

    def __init__(self, *, n_components, r1, r2, objective="cca"):
        super().__init__(alignment=objective, n_components=n_components, r1=r1, r2=r2)

    def forward(self, out, target=None):
        loss = self._alignment(out["x_code"], out["y_code"])
        return loss, {"alignment_loss": loss}

    @torch.no_grad()
    def alignment_chance(self, out):
        """The loss with the rows of ``y`` rolled by one: mismatched pairs."""
        return self._alignment(out["x_code"], out["y_code"].roll(1, dims=0))
