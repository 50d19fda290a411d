# License: BSD 3 clause
"""Cross-fitted teachers: what the distilled estimators and SEW's L_kd share.

A teacher's outputs on the rows it was fitted on copy their labels, so the
outputs that a student imitates on labeled rows are out of fold, as
:func:`~sklearn.model_selection.cross_val_predict` gives them.
"""

from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, check_cv
from sklearn.utils.validation import check_array, check_consistent_length

from ._compat import _safe_indexing

__all__ = ["class_columns", "cross_fit", "cross_fit_splits", "n_rows", "rows_of"]


def n_rows(X):
    """The number of rows of an array, a sparse matrix or a list."""
    return X.shape[0] if hasattr(X, "shape") else len(X)


def rows_of(params, indices, n_samples):
    """``params`` with every per-row array (or dict of them) restricted."""

    def take(value):
        if isinstance(value, dict):
            return {key: take(v) for key, v in value.items()}
        if value is not None and np.shape(value)[:1] == (n_samples,):
            return _safe_indexing(value, indices)
        return value

    return {key: take(value) for key, value in params.items()}


def _hstack(blocks):
    if any(sparse.issparse(b) for b in blocks):
        return sparse.hstack(blocks, format="csr")
    return np.hstack([np.asarray(b) for b in blocks])


def teacher_input(X, X_strong, view):
    """The teacher's input: the strong views, with ``X`` first when ``view="both"``.

    ``X_strong`` is one array, a dict or a list of arrays (concatenated in
    their order); None gives ``X`` (self-distillation).
    """
    if X_strong is None:
        return X
    if isinstance(X_strong, dict):
        views = list(X_strong.values())
    elif isinstance(X_strong, (list, tuple)) and any(
        np.ndim(v) == 2 or sparse.issparse(v) for v in X_strong
    ):
        views = list(X_strong)
    else:
        views = [X_strong]
    if not views:
        raise ValueError("X_strong is an empty dict or list.")
    views = [
        check_array(
            v,
            accept_sparse=("csr", "csc"),
            ensure_all_finite=False,
            input_name="X_strong",
        )
        for v in views
    ]
    check_consistent_length(X, *views)
    return _hstack([X, *views] if view == "both" else views)


def cross_fit_splits(cv, X, y, groups, *, classifier):
    """The cross-fitting ``(train, test)`` splits of the labeled rows.

    An int ``cv`` with ``groups`` is a GroupKFold over the groups, or, with
    fewer groups than folds, over contiguous blocks of each group; otherwise
    :func:`~sklearn.model_selection.check_cv`'s splitter. The test folds must
    partition the rows.
    """
    n_samples = n_rows(X)
    if isinstance(cv, Integral) and groups is not None:
        groups = np.asarray(groups)
        names = np.unique(groups)
        if len(names) < cv:
            # Too few groups to hold out whole ones: fold i takes the i-th
            # contiguous block of each group.
            blocks = np.empty(n_samples, dtype=np.intp)
            for name in names:
                rows = np.flatnonzero(groups == name)
                blocks[rows] = np.arange(len(rows)) * cv // len(rows)
            groups = blocks
        splits = list(GroupKFold(n_splits=cv).split(X, y, groups))
    else:
        cv = check_cv(cv, y, classifier=classifier)
        splits = list(cv.split(X, y, groups))
    covered = np.concatenate([test for _, test in splits])
    if len(covered) != n_samples or len(np.unique(covered)) != n_samples:
        raise ValueError(
            "cv must split the labeled rows into folds that cover each row "
            "once (the teacher's out-of-fold outputs are a partition), as "
            "cross_val_predict requires."
        )
    return splits


def cross_fit(estimator, X, y, splits, params, method):
    """Out-of-fold ``method(fitted, X_test)`` outputs of clones of ``estimator``."""
    n_samples = n_rows(X)
    outputs = None
    for train, test in splits:
        fold = clone(estimator).fit(
            _safe_indexing(X, train),
            _safe_indexing(y, train),
            **rows_of(params, train, n_samples),
        )
        out = method(fold, _safe_indexing(X, test))
        if outputs is None:
            outputs = np.zeros((n_samples, *out.shape[1:]), dtype=out.dtype)
        outputs[test] = out
    return outputs


def class_columns(fitted, X, classes):
    """``fitted.predict_proba(X)`` with one column per entry of ``classes``.

    A class that a fold's teacher never saw gets probability 0.
    """
    proba = np.asarray(fitted.predict_proba(X), dtype=np.float64)
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, np.searchsorted(classes, fitted.classes_)] = proba
    return out
