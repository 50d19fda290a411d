# License: BSD 3 clause
"""Warnings raised by sewlearn, to filter them by class.

As :mod:`sklearn.exceptions` does for ``ConvergenceWarning``::

    import warnings
    from sewlearn.exceptions import AlignmentSaturationWarning

    warnings.filterwarnings("ignore", category=AlignmentSaturationWarning)
"""

__all__ = ["AlignmentSaturationWarning", "WeakTeacherWarning"]


class AlignmentSaturationWarning(UserWarning):
    """The CCA alignment term is saturated at this batch size and code width.

    Raised by ``fit`` of :class:`~sewlearn.SEWRegressor` and
    :class:`~sewlearn.SEWClassifier` when ``alignment="cca"`` and a batch
    has at most ``latent_dim + 1`` rows (frames; with ``sequence_length``,
    the frames of its windows), the paper's own setting included: the top
    canonical correlations of such a batch are all close to 1 whatever the
    weights, so the alignment loss passes little gradient. A subclass of
    :class:`UserWarning`; filter it, e.g. in a grid search that warns once
    per fit, with ``warnings.filterwarnings("ignore",
    category=AlignmentSaturationWarning)``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sewlearn import SEWRegressor
    >>> from sewlearn.exceptions import AlignmentSaturationWarning
    >>> rng = np.random.default_rng(0)
    >>> X, S = rng.normal(size=(64, 4)), rng.normal(size=(64, 3))
    >>> y = rng.normal(size=64)
    >>> model = SEWRegressor(weak_hidden_layer_sizes=(), strong_hidden_layer_sizes=(),
    ...                      latent_dim=40, n_cca_components=2, max_epochs=1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = model.fit(X, y, X_strong=S)
    >>> [w.category.__name__ for w in caught]
    ['AlignmentSaturationWarning']
    """


class WeakTeacherWarning(UserWarning):
    """The teacher of a distilled estimator is no better than the weak view.

    Raised by ``fit`` of :class:`~sewlearn.DistilledRegressor` and
    :class:`~sewlearn.DistilledClassifier` (``on_weak_teacher="warn"``) when
    the teacher's out-of-fold score on the labeled rows (``teacher_score_``)
    does not exceed that of the student cross-fitted on the weak view alone
    (``weak_score_``): the student would imitate a teacher worse than what it
    can learn from the labels. A subclass of :class:`UserWarning`.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sewlearn import DistilledRegressor
    >>> from sewlearn.exceptions import WeakTeacherWarning
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3))
    >>> y = X[:, 0] + 0.1 * rng.normal(size=60)
    >>> noise = rng.normal(size=(60, 3))  # a "strong" view that is noise
    >>> model = DistilledRegressor(Ridge(), Ridge(), teacher_view="strong")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = model.fit(X, y, X_strong=noise)
    >>> [w.category.__name__ for w in caught]
    ['WeakTeacherWarning']
    """
