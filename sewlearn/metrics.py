# License: BSD 3 clause
"""Evaluation measures of the SEW paper (section 4.1).

* :func:`ccc_score`: the concordance correlation coefficient (eq. 10), the
  primary measure of the AVEC 2016 challenge;
* :func:`binary_accuracy_score`: agreement of the signs of the true and
  predicted annotations, negative ``[-1, 0]`` against positive ``(0, 1]``;
* :data:`ccc_scorer`: :func:`ccc_score` wrapped for ``cross_val_score`` and
  ``GridSearchCV`` (greater is better);
* :func:`paired_gain`: the paired difference of two methods' scores over
  seeds, with its confidence interval and the number of seeds won.

Both functions follow the conventions of scikit-learn's regression metrics:
1-D or 2-D targets, ``sample_weight`` and ``multioutput``.
"""

from typing import NamedTuple

import numpy as np
from scipy import stats
from sklearn.metrics import make_scorer, r2_score
from sklearn.utils.validation import check_array

__all__ = [
    "PairedGain",
    "binary_accuracy_score",
    "ccc_score",
    "ccc_scorer",
    "paired_gain",
]

_MULTIOUTPUT_OPTIONS = ("raw_values", "uniform_average")


def _check_targets(y_true, y_pred, sample_weight, multioutput):
    """Validate the inputs of a regression metric.

    NaN in ``y_true`` marks an unlabeled entry (as in ``SEWRegressor.fit``);
    the metrics leave those entries out. Every output needs a labeled entry.

    Returns ``y_true`` and ``y_pred`` as float64 arrays of shape
    ``(n_samples, n_outputs)``, ``sample_weight`` as a float64 array of shape
    ``(n_samples,)`` or None, and ``multioutput`` as a string or a float64
    array of shape ``(n_outputs,)``.
    """
    # allow_nd: reject other dimensions below, with a message naming the input.
    y_true = check_array(
        y_true,
        ensure_2d=False,
        allow_nd=True,
        dtype=np.float64,
        ensure_all_finite="allow-nan",
        input_name="y_true",
    )
    y_pred = check_array(
        y_pred, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="y_pred"
    )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim > 2:
            raise ValueError(
                f"{name} must be 1-D or 2-D, got an array of shape {y.shape}."
            )
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            "y_true and y_pred have different numbers of samples "
            f"({y_true.shape[0]} != {y_pred.shape[0]})."
        )
    y_true = y_true.reshape(y_true.shape[0], -1)
    y_pred = y_pred.reshape(y_pred.shape[0], -1)
    if y_true.shape[1] != y_pred.shape[1]:
        raise ValueError(
            "y_true and y_pred have different numbers of outputs "
            f"({y_true.shape[1]} != {y_pred.shape[1]})."
        )
    n_samples, n_outputs = y_true.shape
    if np.isnan(y_true).all(axis=0).any():
        raise ValueError(
            "y_true has an output whose every value is NaN (unlabeled): there is "
            "nothing to score."
        )

    if sample_weight is not None:
        sample_weight = check_array(
            sample_weight,
            ensure_2d=False,
            dtype=np.float64,
            input_name="sample_weight",
        )
        if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight must have shape ({n_samples},) to match y_true, "
                f"got {sample_weight.shape}."
            )
        if np.any(sample_weight < 0):
            raise ValueError("sample_weight must be non-negative.")
        if not np.any(sample_weight > 0):
            raise ValueError("sample_weight must have at least one positive entry.")
        weighted = (sample_weight > 0)[:, None] & ~np.isnan(y_true)
        if not weighted.any(axis=0).all():
            outputs = np.flatnonzero(~weighted.any(axis=0)).tolist()
            raise ValueError(
                f"sample_weight is 0 on every labeled (non-NaN) entry of y_true in "
                f"output(s) {outputs}: there is nothing to score."
            )

    if isinstance(multioutput, str):
        if multioutput not in _MULTIOUTPUT_OPTIONS:
            raise ValueError(
                f"multioutput must be one of {_MULTIOUTPUT_OPTIONS} or an "
                f"array-like of shape (n_outputs,), got {multioutput!r}."
            )
    else:
        multioutput = check_array(
            multioutput, ensure_2d=False, dtype=np.float64, input_name="multioutput"
        )
        if n_outputs == 1:
            raise ValueError(
                "Custom multioutput weights are useful only in multi-output cases."
            )
        if multioutput.shape != (n_outputs,):
            raise ValueError(
                f"multioutput must have shape ({n_outputs},), one weight per "
                f"output, got {multioutput.shape}."
            )
        if np.any(multioutput < 0) or not np.any(multioutput > 0):
            raise ValueError(
                "multioutput weights must be non-negative, at least one positive."
            )
    return y_true, y_pred, sample_weight, multioutput


def _aggregate(scores, multioutput):
    """Combine per-output scores as ``multioutput`` asks."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        return float(np.mean(scores))
    return float(np.average(scores, weights=multioutput))


def _weighted_moments(y, weights):
    """Column means, population (ddof=0) variances and centred ``y``.

    A column whose values (on the samples of positive weight) are all equal
    gets exactly its value as mean and exactly 0 as variance, so that
    rounding in the mean cannot make a constant input look variable.
    """
    mean = np.average(y, axis=0, weights=weights)
    centred = y - mean
    var = np.average(centred**2, axis=0, weights=weights)
    active = y if weights is None else y[weights > 0]
    constant = np.all(active == active[0], axis=0)
    mean[constant] = active[0, constant]
    var[constant] = 0.0
    centred[:, constant] = 0.0
    return mean, var, centred


def _per_labeled_column(score, y_true, y_pred, sample_weight):
    """Scores of each output on its labeled (non-NaN) rows of ``y_true``."""
    known = ~np.isnan(y_true)
    if known.all():
        return score(y_true, y_pred, sample_weight)
    return np.concatenate(
        [
            score(
                y_true[rows, j : j + 1],
                y_pred[rows, j : j + 1],
                None if sample_weight is None else sample_weight[rows],
            )
            for j, rows in enumerate(known.T)
        ]
    )


def _check_every_output_labeled(y):
    """Raise unless each output of ``y`` (NaN: unlabeled) has a labeled entry."""
    if np.isnan(y).reshape(len(y), -1).all(axis=0).any():
        raise ValueError(
            "y has an output whose every value is NaN (unlabeled): there is "
            "nothing to score."
        )


def _labeled_r2_score(y, y_pred, sample_weight=None):
    """R² on the labeled (non-NaN) entries of ``y``, outputs averaged uniformly.

    The ``score`` of the sewlearn regressors: a row whose targets are all NaN
    is not scored; with several outputs each is scored on its known rows.
    """
    y = check_array(y, ensure_2d=False, ensure_all_finite="allow-nan", input_name="y")
    if not np.isnan(y).any():
        return float(r2_score(y, y_pred, sample_weight=sample_weight))
    _check_every_output_labeled(y)
    y_pred = np.asarray(y_pred)
    scores = _per_labeled_column(
        lambda t, p, w: r2_score(t, p, sample_weight=w, multioutput="raw_values"),
        y.reshape(len(y), -1),
        y_pred.reshape(len(y), -1),
        None if sample_weight is None else np.asarray(sample_weight),
    )
    return float(np.mean(scores))


def ccc_score(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Concordance correlation coefficient (CCC) regression score.

    The CCC (Lin, 1989) measures the agreement of two series: it is Pearson's
    correlation penalised for differences in mean and in scale. It ranges in
    ``[-1, 1]``; 1 means ``y_pred == y_true``. It is the primary measure of the
    AVEC 2016 challenge and of the SEW paper (eq. 10).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth target values. NaN marks an unlabeled entry (the marker
        of ``SEWRegressor.fit``): each output is scored on its labeled rows
        only, so that cross-validation over a data set with unlabeled rows
        scores the labeled ones.

    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; they weight the means, variances and the
        covariance. Integer weights are equivalent to repeating samples.

    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
            (n_outputs,), default="uniform_average"
        How to combine the scores of several outputs:

        - ``"raw_values"``: return one score per output;
        - ``"uniform_average"``: return the mean of the scores;
        - array-like: return the average of the scores with these weights.

    Returns
    -------
    score : float or ndarray of shape (n_outputs,)
        The CCC, or one CCC per output if ``multioutput="raw_values"``.

    See Also
    --------
    binary_accuracy_score : Agreement of the signs of the annotations.
    sklearn.metrics.r2_score : Coefficient of determination.

    Notes
    -----
    With ``x = y_true`` and ``y = y_pred``, per output,

    .. math::

        \\mathrm{CCC} = \\frac{2 \\sigma_{xy}}
                            {\\sigma_x^2 + \\sigma_y^2 + (\\mu_x - \\mu_y)^2}

    where the means :math:`\\mu`, the variances :math:`\\sigma^2` and the
    covariance :math:`\\sigma_{xy}` are population moments (normalised by the
    sum of the weights, not by ``n - 1``). The paper writes the covariance as
    :math:`\\sigma_{xy}^2`; it is the covariance, not its square.

    Constant inputs give a defined value, without warning: if one of
    ``y_true`` and ``y_pred`` is constant, the covariance is 0 and so is the
    CCC; if both are constant and equal, the denominator is 0 and the score
    is 1.0 (perfect agreement). A column is constant when all its values of
    positive weight are equal.

    References
    ----------
    .. [1] L. I-K. Lin, "A concordance correlation coefficient to evaluate
       reproducibility", Biometrics, 45(1), pp. 255-268, 1989.
    .. [2] M. Valstar et al., "AVEC 2016: Depression, mood, and emotion
       recognition workshop and challenge", AVEC 2016, pp. 3-10.

    Examples
    --------
    >>> from sewlearn.metrics import ccc_score
    >>> y_true = [0.1, 0.3, -0.2, 0.5]
    >>> ccc_score(y_true, y_true)
    1.0
    >>> round(ccc_score(y_true, [0.2, 0.4, -0.1, 0.6]), 4)  # shifted by 0.1
    0.9304
    >>> ccc_score(y_true, [0.0, 0.0, 0.0, 0.0])  # a constant prediction
    0.0
    >>> scores = ccc_score([[0.1, 0.2], [0.3, -0.1], [0.0, 0.4]],
    ...                    [[0.1, 0.2], [0.2, 0.0], [0.1, 0.3]],
    ...                    multioutput="raw_values")
    >>> scores.round(3)
    array([0.625, 0.885])
    >>> ccc_score([0.1, 0.3, float("nan"), 0.5], [0.2, 0.4, 9.0, 0.6])  # unlabeled
    0.9...
    """
    y_true, y_pred, sample_weight, multioutput = _check_targets(
        y_true, y_pred, sample_weight, multioutput
    )
    scores = _per_labeled_column(_ccc_columns, y_true, y_pred, sample_weight)
    return _aggregate(scores, multioutput)


def _ccc_columns(y_true, y_pred, sample_weight):
    """CCC of each column of two 2-D float64 arrays without NaN."""
    # The CCC is invariant to a common rescaling of y_true and y_pred: bring
    # each output within [-1, 1] so that squares neither overflow nor vanish.
    scale = np.maximum(np.max(np.abs(y_true), axis=0), np.max(np.abs(y_pred), axis=0))
    scale[scale == 0] = 1.0
    mean_t, var_t, centred_t = _weighted_moments(y_true / scale, sample_weight)
    mean_p, var_p, centred_p = _weighted_moments(y_pred / scale, sample_weight)
    cov = np.average(centred_t * centred_p, axis=0, weights=sample_weight)
    denominator = var_t + var_p + (mean_t - mean_p) ** 2
    # Both constant and equal: perfect agreement (the 0 / 0 case).
    perfect = denominator == 0
    scores = np.ones_like(denominator)
    scores[~perfect] = 2 * cov[~perfect] / denominator[~perfect]
    # 2|cov| <= var_t + var_p holds exactly; clip the rounding beyond it.
    return np.clip(scores, -1.0, 1.0)


def binary_accuracy_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Binary accuracy of continuous annotations, as in the SEW paper.

    True and predicted values are split into a negative class, values in
    ``[-1, 0]`` (any value ``<= 0``), and a positive class, values in
    ``(0, 1]`` (any value ``> 0``); the score is the fraction of samples
    whose classes agree (Table 1 and 2 of the paper report it in percent).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth target values; NaN marks an unlabeled entry, left out
        as in :func:`ccc_score`.

    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights. Integer weights are equivalent to
        repeating samples.

    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
            (n_outputs,), default="uniform_average"
        How to combine the scores of several outputs:

        - ``"raw_values"``: return one score per output;
        - ``"uniform_average"``: return the mean of the scores;
        - array-like: return the average of the scores with these weights.

    Returns
    -------
    score : float or ndarray of shape (n_outputs,)
        The fraction of agreement in ``[0, 1]``, or one fraction per output if
        ``multioutput="raw_values"``.

    See Also
    --------
    ccc_score : Concordance correlation coefficient.
    sklearn.metrics.accuracy_score : Accuracy of class labels.

    Notes
    -----
    Per output, with weights :math:`w_i` (all 1 by default),

    .. math::

        \\mathrm{Acc} = \\frac{\\sum_i w_i \\,
            [\\![ (x_i > 0) = (y_i > 0) ]\\!]}{\\sum_i w_i}

    where :math:`x = y_{true}` and :math:`y = y_{pred}`. The threshold 0
    belongs to the negative class. Values outside ``[-1, 1]`` are accepted
    and classified by their sign.

    References
    ----------
    .. [1] V. Rajan, A. Brutti and A. Cavallaro, "Robust latent
       representations via cross-modal translation and alignment",
       ICASSP 2021, section 4.1.

    Examples
    --------
    >>> from sewlearn.metrics import binary_accuracy_score
    >>> binary_accuracy_score([-0.5, 0.0, 0.2, 0.7], [-0.1, 0.1, 0.3, -0.2])
    0.5
    >>> binary_accuracy_score([[-0.5, 0.1], [0.2, 0.3]],
    ...                       [[-0.2, -0.4], [0.1, 0.9]],
    ...                       multioutput="raw_values")
    array([1. , 0.5])
    """
    y_true, y_pred, sample_weight, multioutput = _check_targets(
        y_true, y_pred, sample_weight, multioutput
    )
    scores = _per_labeled_column(_agreement_columns, y_true, y_pred, sample_weight)
    return _aggregate(scores, multioutput)


def _agreement_columns(y_true, y_pred, sample_weight):
    agree = (y_true > 0) == (y_pred > 0)
    return np.average(agree, axis=0, weights=sample_weight)


# Greater is better: make_scorer's default.
ccc_scorer = make_scorer(ccc_score)


class PairedGain(NamedTuple):
    """The paired difference of two methods' scores (see :func:`paired_gain`)."""

    mean: float
    low: float
    high: float
    wins: int
    n: int

    def __str__(self):
        return (
            f"{self.mean:+.3f} [{self.low:+.3f}, {self.high:+.3f}], "
            f"{self.wins}/{self.n} won"
        )


def paired_gain(scores, baseline_scores, *, confidence=0.95):
    """Mean paired difference of two methods' scores, with a t interval.

    Each pair of scores must come from the same split and the same seed, one
    with the ingredient under test (e.g. the strong modality) and one
    without; the gain is the mean of the per-pair differences, and its
    confidence interval is Student's t on those differences (n - 1 degrees
    of freedom). Reporting it this way, rather than two means side by side,
    removes the variation shared by both methods (the split, the seed).

    Parameters
    ----------
    scores : array-like of shape (n_pairs,)
        Scores of the method under test, one per seed (greater is better).
    baseline_scores : array-like of shape (n_pairs,)
        Scores of the baseline on the same splits and seeds.
    confidence : float, default=0.95
        Coverage of the interval.

    Returns
    -------
    gain : PairedGain
        ``mean``, ``low``, ``high`` (the interval; NaN with a single pair),
        ``wins`` (pairs where the method scored strictly higher) and ``n``.
        ``str(gain)`` reads ``+0.012 [-0.003, +0.027], 4/5 won``.

    Examples
    --------
    >>> from sewlearn.metrics import paired_gain
    >>> gain = paired_gain([0.52, 0.55, 0.50], [0.50, 0.52, 0.49])
    >>> print(gain)
    +0.020 [-0.005, +0.045], 3/3 won
    >>> gain.wins
    3
    """
    scores = check_array(scores, ensure_2d=False, input_name="scores")
    baseline_scores = check_array(
        baseline_scores, ensure_2d=False, input_name="baseline_scores"
    )
    if scores.ndim != 1 or scores.shape != baseline_scores.shape:
        raise ValueError(
            "scores and baseline_scores must be 1-D and paired, got shapes "
            f"{scores.shape} and {baseline_scores.shape}."
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}.")
    diff = scores - baseline_scores
    n = len(diff)
    mean = float(diff.mean())
    if n > 1:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low = high = float("nan")
    return PairedGain(mean, float(low), float(high), int((diff > 0).sum()), n)
