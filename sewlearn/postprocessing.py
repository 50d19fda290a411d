# License: BSD 3 clause
"""Post-processing of continuous emotion predictions, as in the AVEC baselines.

Frame-wise predictions of a continuous emotion trace (arousal, valence) are
noisier than the smooth gold standard, ahead of it by the annotators'
reaction time, and biased in mean and spread. The AVEC 2016 baseline [1]_
corrects all three after the model: it smooths the predictions over a
window, shifts them by the annotation delay, and centres and scales them to
the statistics of the training gold standard, choosing each step on held-out
data by the concordance correlation coefficient (CCC).

:class:`PostProcessedRegressor` learns that chain around any regressor, on
held-out recordings of the training data, and applies it per recording at
predict time.

References
----------
.. [1] M. Valstar et al., "AVEC 2016: Depression, mood, and emotion
   recognition workshop and challenge", AVEC 2016, pp. 3-10.
"""

import inspect
from numbers import Integral

import numpy as np
from scipy import ndimage
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    has_fit_parameter,
)

from ._compat import HasMethods, StrOptions, _fit_context, _safe_indexing
from .metrics import _check_every_output_labeled, _labeled_r2_score, ccc_score

__all__ = ["PostProcessedRegressor"]

# 0 to 4 s at 25 frames per second (RECOLA's 40 ms frames), in steps of 0.2 s:
# the annotation delays reported for RECOLA are a few seconds.
DEFAULT_DELAYS = tuple(range(0, 101, 5))
# No smoothing, then centred windows of 0.2 s to 8 s: the gold-standard traces
# change over seconds.
DEFAULT_WINDOWS = (1, 5, 11, 25, 51, 101, 151, 201)


def _n_samples(X):
    """The number of rows of ``X`` (an array, a data frame, a list, ...)."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if hasattr(X, "__len__"):
        return len(X)
    return np.asarray(X).shape[0]


def _check_groups(groups, n_samples):
    """The recording of each row as a 1-D array; all one recording if None."""
    if groups is None:
        return np.zeros(n_samples, dtype=np.intp)
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(
            f"groups must be 1-D, one recording id per sample, got an array of "
            f"shape {groups.shape}."
        )
    if groups.shape[0] != n_samples:
        raise ValueError(
            f"groups has {groups.shape[0]} entries but X has {n_samples} samples: "
            "pass the recording id of every sample (frame)."
        )
    return groups


def _recordings(groups):
    """Row indices of each recording, in row (time) order."""
    _, inverse = np.unique(groups, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse))[:-1]
    return np.split(order, bounds)


def _check_grid(values, default, name, minimum=None):
    """A non-empty 1-D int array of the candidate ``values``."""
    values = np.asarray(default if values is None else values)
    if values.ndim == 0:
        values = values.reshape(1)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of integers.")
    if not np.issubdtype(values.dtype, np.integer):
        if not np.issubdtype(values.dtype, np.number) or np.any(
            values != np.round(values)
        ):
            raise ValueError(f"{name} must hold integers (frames), got {values}.")
    values = values.astype(np.intp)
    if minimum is not None and np.any(values < minimum):
        raise ValueError(f"{name} must be >= {minimum} frames, got {values}.")
    return values


def _shift(y, delay):
    """``y`` (one recording, time along axis 0) delayed by ``delay`` frames.

    Row ``t`` gets row ``t - delay``; rows that would come from outside the
    recording get its first (or, for a negative delay, last) row.
    """
    n = y.shape[0]
    return y[np.clip(np.arange(n) - delay, 0, n - 1)]


def _smooth(y, window, smoothing):
    """Centred moving mean or median of ``y`` over ``window`` frames (axis 0).

    Beyond its edges the recording is padded with its first and last values
    (``mode="nearest"``), so any length works, even shorter than the window.
    """
    if window <= 1:
        return y
    if smoothing == "mean":
        return ndimage.uniform_filter1d(y, size=window, axis=0, mode="nearest")
    return ndimage.median_filter(y, size=(window, 1), mode="nearest")


def _smooth_and_shift(segments, window, delay, smoothing):
    """Smooth then shift each segment (a recording's rows, 2-D) separately."""
    return [_shift(_smooth(p, window, smoothing), delay) for p in segments]


def _post_process(raw, group_ids, delay, window, smoothing):
    """Smooth then shift each recording of ``raw`` (2-D), per output ``j``
    with ``window[j]`` and ``delay[j]``; no scaling."""
    y_pred = np.empty_like(raw)
    for rows in _recordings(group_ids):
        for j in range(raw.shape[1]):
            (y_pred[rows, j : j + 1],) = _smooth_and_shift(
                [raw[rows, j : j + 1]], window[j], delay[j], smoothing
            )
    return y_pred


def _affine(y_pred, y_true, center, scale):
    """``(scale_, offset_)`` with ``scale_ * y_pred + offset_`` corrected.

    Scaling matches the spread of the predictions to the targets' (standard
    deviation); centring matches the means. Per output; NaN targets
    (unlabeled rows) are left out of the targets' statistics.
    """
    pred_mean, pred_std = y_pred.mean(axis=0), y_pred.std(axis=0)
    factor = np.ones(y_pred.shape[1])
    if scale:
        true_std = np.nanstd(y_true, axis=0)
        factor = np.divide(
            true_std, pred_std, out=factor, where=pred_std > 1e-12 * true_std
        )
    target_mean = np.nanmean(y_true, axis=0) if center else pred_mean
    return factor, target_mean - factor * pred_mean


def _slice_params(params, indices, n_samples):
    """``params`` with each per-sample value restricted to ``indices``.

    An array-like of length ``n_samples`` is indexed (a dict of them, such
    as several strong modalities, entry by entry); anything else passes
    whole, as scikit-learn's cross-validation does.
    """
    sliced = {}
    for key, value in params.items():
        if isinstance(value, dict):
            sliced[key] = _slice_params(value, indices, n_samples)
        elif (
            value is not None
            and not isinstance(value, (str, bytes))
            and (hasattr(value, "shape") or hasattr(value, "__len__"))
            and _n_samples(value) == n_samples
        ):
            sliced[key] = _safe_indexing(value, indices)
        else:
            sliced[key] = value
    return sliced


def _groups_keyword(estimator, method):
    """The keyword by which ``estimator.method`` takes ``groups``, routing off.

    ``"groups"`` if the method has such a parameter. A
    :class:`~sklearn.pipeline.Pipeline` passes its ``predict`` keywords on to
    its last step and takes ``fit`` ones as ``<step>__<name>``; its signatures
    have only ``**params``, so its last step is asked. None if not taken.
    """
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        if last is None or isinstance(last, str):  # "passthrough"
            return None
        keyword = _groups_keyword(last, method)
        if keyword is None or method != "fit":
            return keyword
        return f"{name}__{keyword}"
    if method == "fit":
        return "groups" if has_fit_parameter(estimator, "groups") else None
    signature = inspect.signature(getattr(estimator, method))
    return "groups" if "groups" in signature.parameters else None


def _fit_predict(estimator, X, y, train, test, fit_params, predict_params):
    """Fit ``estimator`` on the ``train`` rows; its predictions of ``test``."""
    n_samples = y.shape[0]
    estimator.fit(
        _safe_indexing(X, train),
        y[train],
        **_slice_params(fit_params, train, n_samples),
    )
    y_pred = estimator.predict(
        _safe_indexing(X, test), **_slice_params(predict_params, test, n_samples)
    )
    return np.asarray(y_pred, dtype=np.float64).reshape(len(test), -1)


class PostProcessedRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """A regressor with the AVEC baseline's post-processing of its predictions.

    Wraps a regressor of frame-wise continuous emotion (arousal, valence, ...)
    and corrects its predictions per recording with the chain of the AVEC 2016
    baseline, learnt on the training data:

    1. **smoothing**: a centred moving mean (or median) over ``window_``
       frames, the recording padded with its first and last predictions
       (so a recording may be shorter than the window);
    2. **time shift**: frame ``t`` gets the smoothed prediction of frame
       ``t - delay_``, making up for the annotators' reaction lag (the
       first ``delay_`` frames of a recording get its first one);
    3. **centring and scaling**: ``scale_ * y + offset_``, which gives the
       predictions the standard deviation of the training targets (that of
       the held-out predictions matched to it) and their mean (that of the
       final model's predictions of the training frames matched to it).

    The window and the delay are chosen jointly by CCC on held-out
    recordings (see ``cv``), each candidate with the centring and scaling
    that fit the same held-out predictions, after the smoothing and the
    shift (smoothing shrinks their spread). Then ``estimator`` is refitted
    on all the data; ``scale_`` is the held-out one, and ``offset_`` centres
    the refitted model's own (post-processed) predictions of the labeled
    training frames: the held-out models are not the final one, and for a
    near-constant model their differences (the folds' means) are all the
    held-out spread.
    Smoothing before shifting changes only the frames near the start and end
    of a recording, and lets ``fit`` filter once per window.

    Parameters
    ----------
    estimator : regressor object
        The frame-wise model, e.g. :class:`~sewlearn.SEWRegressor`,
        :class:`~sklearn.linear_model.Ridge` or a
        :class:`~sklearn.pipeline.Pipeline`. It is cloned.

    delays : array-like of int, default=None
        Candidate time shifts, in frames (positive: the predictions come
        late, as the annotations do). None: ``0, 5, ..., 100``, i.e. 0 to 4 s
        in steps of 0.2 s at the 25 frames per second of RECOLA, around the
        annotation delays of a few seconds reported for it [2]_. ``(0,)``
        turns the shift off.

    windows : array-like of int, default=None
        Candidate smoothing windows, in frames (1: no smoothing; odd sizes
        keep the filter centred). None: ``(1, 5, 11, 25, 51, 101, 151, 201)``,
        up to 8 s. ``(1,)`` turns smoothing off.

    smoothing : {"mean", "median"}, default="mean"
        The filter: a centred moving average
        (:func:`scipy.ndimage.uniform_filter1d`) or a moving median
        (:func:`scipy.ndimage.median_filter`), both padded with the edge
        values of the recording (``mode="nearest"``).

    center : bool, default=True
        Give the predictions the mean of the training targets (on the
        labeled training frames: a model that predicts a constant then
        predicts their mean).

    scale : bool, default=True
        Give the predictions the standard deviation of the training targets
        (about their own mean when ``center=False``). Centring and scaling
        together maximise the CCC of the predictions for their correlation
        with the targets.

    cv : int, cross-validation generator or iterable, default=3
        How the held-out predictions that choose the post-processing are
        made:

        - int: :class:`~sklearn.model_selection.GroupKFold` with ``cv``
          folds over the recordings (``groups``). With fewer recordings than
          folds (one, without ``groups``) each recording is cut into ``cv``
          contiguous blocks of frames and fold ``i`` holds out the ``i``-th
          block of every recording.
        - a splitter, such as ``GroupShuffleSplit(n_splits=1,
          test_size=0.3)`` (a held-out fraction of the recordings) or
          ``LeaveOneGroupOut()``: its ``split(X, y, groups)`` gets the
          recording ids.
        - an iterable of ``(train, test)`` index arrays.

        Each test set is post-processed recording by recording. None means 3.
        ``fit`` fits ``estimator`` once per split, then once on all the data.

    n_jobs : int, default=None
        Number of held-out fits run in parallel (:class:`joblib.Parallel`).
        None means 1 unless in a :func:`joblib.parallel_config` context.

    Attributes
    ----------
    estimator_ : regressor object
        ``estimator`` fitted on all the data.

    delay_ : int or ndarray of shape (n_outputs,)
        The chosen time shift in frames (per output when ``y`` was 2-D, as
        are the next three attributes).

    window_ : int or ndarray of shape (n_outputs,)
        The chosen smoothing window in frames.

    scale_ : float or ndarray of shape (n_outputs,)
        Factor applied after the shift and the smoothing: the ratio of the
        standard deviations of the training targets and of the held-out
        predictions (1 when ``scale=False``).

    offset_ : float or ndarray of shape (n_outputs,)
        Added after the scaling. With ``center=True``, the predictions of the
        labeled training frames (by ``estimator_``, smoothed and shifted)
        then have the training targets' mean; with ``center=False``, their
        own mean is kept (the scaling is about it).

    best_score_ : float or ndarray of shape (n_outputs,)
        CCC of the held-out predictions, post-processed with the chosen
        delay and window, over all the held-out frames together (as AVEC
        scores a partition: its recordings concatenated).

    cv_results_ : dict of ndarray
        One entry per candidate (delays in the outer loop, windows in the
        inner): ``"delay"``, ``"window"`` and ``"ccc"``, the held-out CCC
        (of shape (n_candidates, n_outputs) when ``y`` was 2-D). Ready for
        ``pandas.DataFrame(cv_results_)`` when ``y`` was 1-D.

    n_recordings_ : int
        Number of recordings (distinct ``groups``) seen in ``fit``; 1
        without ``groups``.

    n_features_in_ : int
        Number of features seen in ``fit`` (``estimator_``'s).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in ``fit``, when ``estimator_`` records
        them.

    See Also
    --------
    sklearn.compose.TransformedTargetRegressor : Learns on transformed
        targets; this class transforms the predictions instead.
    sewlearn.metrics.ccc_score : The criterion of the selection.

    Notes
    -----
    **Recordings.** ``groups`` gives the recording (speaker, session) of each
    row; the rows of a recording must be its frames in time order, but the
    recordings may be interleaved. The shift and the smoothing never cross
    a recording boundary. Without ``groups``, ``fit`` and ``predict`` take
    the whole input as one recording.

    **Causality.** The smoothing is centred: frame ``t``'s output uses the
    predictions of the frames up to ``t + window_ // 2 - delay_``, so it
    looks ahead of ``t`` unless ``delay_ >= window_ // 2``. Around a causal
    model (a sequence model, ``head="gru"``) the result is then not causal; a
    real-time system must wait that many frames, or pass ``windows=(1,)``.

    **Metadata routing.** With ``sklearn.set_config(enable_metadata_routing=
    True)``, request ``groups`` as for any consumer:
    ``PostProcessedRegressor(...).set_fit_request(groups=True)`` (and
    ``set_predict_request``, ``set_score_request``), so that ``groups``
    passed to :func:`~sklearn.model_selection.cross_validate` (``params``)
    or to a search reaches both the outer group splitter and this estimator.
    Other metadata, such as ``X_strong`` of :class:`~sewlearn.SEWRegressor`,
    reach ``estimator`` if it requests them (``set_fit_request(X_strong=
    True)``); ``groups`` reaches it too when it requests ``groups``.

    Without routing (the default), ``fit`` consumes ``groups`` and passes
    every other keyword argument to ``estimator.fit``; ``groups`` is passed
    on as well when ``estimator.fit`` (or ``predict``) has a ``groups``
    parameter, and to a :class:`~sklearn.pipeline.Pipeline` whose last step
    has one (as ``<step>__groups`` to its ``fit`` unless given, and as
    ``groups`` to its ``predict``), so that a sequence model in a pipeline
    reads each recording on its own. In ``cross_validate``, give the ids twice:
    ``groups=ids`` for the splitter and ``params={"groups": ids}`` for this
    estimator (``fit_params`` in scikit-learn < 1.4); in a
    :class:`~sklearn.pipeline.Pipeline` use the step name, e.g.
    ``postprocessedregressor__groups=ids``.

    Arrays of per-sample metadata (one row per sample, or a dict of them)
    are sliced for the held-out fits; other values pass whole.

    At predict time, scikit-learn's scorers call ``predict(X)`` without
    ``groups``: a test fold of several recordings is then post-processed as
    one, and the shift and the smoothing cross its few boundaries. For an
    exact score, hold out one recording per fold
    (:class:`~sklearn.model_selection.LeaveOneGroupOut`) or let ``score``,
    the default scoring, receive ``groups`` (``set_score_request(groups=
    True)`` with routing on).

    References
    ----------
    .. [1] M. Valstar et al., "AVEC 2016: Depression, mood, and emotion
       recognition workshop and challenge", AVEC 2016, pp. 3-10.
    .. [2] F. Ringeval et al., "Prediction of asynchronous dimensional
       emotion ratings from audiovisual and physiological data", Pattern
       Recognition Letters 66, 2015, pp. 22-30.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sewlearn import ccc_score
    >>> from sewlearn.datasets import make_recola_like
    >>> from sewlearn.postprocessing import PostProcessedRegressor
    >>> data = make_recola_like(
    ...     n_recordings=3, n_frames=1500, partitions=("train", "dev"),
    ...     annotation_delay=2.0, random_state=0,
    ... )
    >>> train, dev = data.partition == "train", data.partition == "dev"
    >>> X, y = data.features.audio, data.targets.arousal
    >>> model = PostProcessedRegressor(Ridge(alpha=100.0))
    >>> model.fit(X[train], y[train], groups=data.groups[train])
    PostProcessedRegressor(estimator=Ridge(alpha=100.0))

    The annotation delay of 2 s is 50 frames; the chosen window and the
    held-out CCC are in ``cv_results_``:

    >>> 40 <= model.delay_ <= 60, model.window_ > 1
    (True, True)
    >>> y_pred = model.predict(X[dev], groups=data.groups[dev])
    >>> raw = model.estimator_.predict(X[dev])
    >>> bool(ccc_score(y[dev], y_pred) > ccc_score(y[dev], raw))
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "delays": ["array-like", None],
        "windows": ["array-like", None],
        "smoothing": [StrOptions({"mean", "median"})],
        "center": ["boolean"],
        "scale": ["boolean"],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        estimator,
        *,
        delays=None,
        windows=None,
        smoothing="mean",
        center=True,
        scale=True,
        cv=3,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.delays = delays
        self.windows = windows
        self.smoothing = smoothing
        self.center = center
        self.scale = scale
        self.cv = cv
        self.n_jobs = n_jobs

    # -- metadata --------------------------------------------------------------

    def _routed_params(self, method, groups, params):
        """Keyword arguments of ``estimator``'s ``method`` ("fit" or "predict").

        With metadata routing, what ``estimator`` requests; without, every
        ``params`` entry, plus ``groups`` when ``estimator.method`` has such a
        parameter.
        """
        if get_config().get("enable_metadata_routing", False):
            if groups is not None:
                params = {**params, "groups": groups}
            return dict(process_routing(self, method, **params).estimator[method])
        params = dict(params)
        keyword = _groups_keyword(self.estimator, method)
        if groups is not None and keyword is not None:
            params.setdefault(keyword, groups)
        return params

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``groups`` is this estimator's own (``set_fit_request(groups=True)``);
        other ``fit`` and ``predict`` metadata go to ``estimator``, and
        ``score`` calls ``estimator``'s ``predict``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        return (
            MetadataRouter(owner=self.__class__.__name__)
            .add_self_request(self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping()
                .add(caller="fit", callee="fit")
                .add(caller="predict", callee="predict")
                .add(caller="score", callee="predict"),
            )
        )

    # -- fitting ---------------------------------------------------------------

    def _splits(self, X, y, groups, recordings):
        """The ``(train, test)`` splits of the held-out fits."""
        n_samples = y.shape[0]
        cv = 3 if self.cv is None else self.cv
        if not isinstance(cv, Integral):
            return list(check_cv(cv).split(X, y, groups))
        if n_samples < cv:
            raise ValueError(
                f"{self.__class__.__name__} holds out data to choose the "
                f"post-processing: with cv={cv} it needs at least {cv} samples "
                f"(frames), got n_samples={n_samples}."
            )
        if len(recordings) >= cv:
            split_groups = groups
        else:
            # Too few recordings to hold out whole ones: block i of each
            # recording (its i-th contiguous cv-th) goes to fold i.
            split_groups = np.empty(n_samples, dtype=np.intp)
            for rows in recordings:
                split_groups[rows] = np.arange(len(rows)) * cv // len(rows)
        return list(GroupKFold(n_splits=cv).split(X, y, split_groups))

    @_fit_context(
        # the estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, groups=None, **fit_params):
        """Choose the post-processing on held-out recordings, then fit on all.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training frames, in time order within each recording; any input
            that ``estimator`` takes.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. NaN marks an unlabeled frame: it is passed on to
            ``estimator`` (for :class:`~sewlearn.SEWRegressor`) and left out
            of the selection and of the targets' statistics.

        groups : array-like of shape (n_samples,), default=None
            Recording id of each frame. None: ``X`` is one recording.

        **fit_params : dict
            Passed on to ``estimator.fit`` (with metadata routing, those it
            requests), e.g. ``X_strong`` for :class:`~sewlearn.SEWRegressor`.
            Arrays with one row per sample are sliced for the held-out fits.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                f"{self.__class__.__name__} requires y to be passed, but the "
                "target y is None."
            )
        y = check_array(
            y,
            ensure_2d=False,
            dtype="numeric",
            ensure_all_finite="allow-nan",
            input_name="y",
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got an array of shape {y.shape}.")
        # What cross-validation does: sparse X as CSR, other non-indexable X
        # as an array, so that the held-out fits can take rows of it.
        X, y = indexable(X, y)
        n_samples = y.shape[0]
        delays = _check_grid(self.delays, DEFAULT_DELAYS, "delays")
        windows = _check_grid(self.windows, DEFAULT_WINDOWS, "windows", minimum=1)
        group_ids = _check_groups(groups, n_samples)
        recordings = _recordings(group_ids)
        estimator_fit = self._routed_params("fit", groups, fit_params)
        estimator_predict = self._routed_params("predict", groups, {})

        splits = self._splits(X, y, group_ids, recordings)
        held_out = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_predict)(
                clone(self.estimator),
                X,
                y,
                train,
                test,
                estimator_fit,
                estimator_predict,
            )
            for train, test in splits
        )
        # The held-out predictions and targets of each recording of each
        # test set, in time order: the segments that are post-processed.
        predictions, targets = [], []
        for (_, test), y_pred in zip(splits, held_out):
            for rows in _recordings(group_ids[test]):
                predictions.append(y_pred[rows])
                targets.append(y[test[rows]])
        n_outputs = held_out[0].shape[1]
        y_true = np.concatenate(targets).astype(np.float64).reshape(-1, n_outputs)

        scores = np.empty((len(delays), len(windows), n_outputs))
        for k, window in enumerate(windows):
            # Smoothing first: one filter pass per window, however many delays.
            smoothed = [_smooth(p, window, self.smoothing) for p in predictions]
            for i, delay in enumerate(delays):
                processed = np.concatenate([_shift(p, delay) for p in smoothed])
                factor, offset = _affine(processed, y_true, self.center, self.scale)
                scores[i, k] = ccc_score(
                    y_true, processed * factor + offset, multioutput="raw_values"
                )
        scores = scores.reshape(-1, n_outputs)
        candidates = [(d, w) for d in delays for w in windows]
        # Per output, the best candidate; ties go to the smaller delay, then
        # the smaller window.
        best = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=0)
        delay = np.array([candidates[b][0] for b in best])
        window = np.array([candidates[b][1] for b in best])
        factor, offset = np.empty(n_outputs), np.empty(n_outputs)
        for j in range(n_outputs):
            segments = [p[:, [j]] for p in predictions]
            processed = np.concatenate(
                _smooth_and_shift(segments, window[j], delay[j], self.smoothing)
            )
            (factor[j],), (offset[j],) = _affine(
                processed, y_true[:, [j]], self.center, self.scale
            )

        estimator = clone(self.estimator).fit(X, y, **estimator_fit)
        if self.center or self.scale:
            # scale_ comes from the held-out models; the final model differs
            # from them (by the folds' means, for a near-constant model), so
            # the centre it is scaled about is its own mean on the labeled
            # training frames, which centring maps to the targets' mean.
            raw = estimator.predict(X, **estimator_predict)
            raw = np.asarray(raw, dtype=np.float64).reshape(n_samples, n_outputs)
            processed = _post_process(raw, group_ids, delay, window, self.smoothing)
            y_2d = y.reshape(n_samples, n_outputs)
            for j in range(n_outputs):
                labeled = ~np.isnan(y_2d[:, j])
                centre = processed[labeled, j].mean()
                target = y_2d[labeled, j].mean() if self.center else centre
                offset[j] = target - factor[j] * centre

        one = y.ndim == 1
        self.estimator_ = estimator
        self.delay_ = int(delay[0]) if one else delay
        self.window_ = int(window[0]) if one else window
        self.scale_ = float(factor[0]) if one else factor
        self.offset_ = float(offset[0]) if one else offset
        best_score = scores[best, np.arange(n_outputs)]
        self.best_score_ = float(best_score[0]) if one else best_score
        self.cv_results_ = {
            "delay": np.array([d for d, _ in candidates]),
            "window": np.array([w for _, w in candidates]),
            "ccc": scores[:, 0] if one else scores,
        }
        self.n_recordings_ = len(recordings)
        self._y_ndim = y.ndim
        return self

    # -- prediction ------------------------------------------------------------

    def predict(self, X, groups=None):
        """Predict with ``estimator_``, then post-process each recording.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frames, in time order within each recording.

        groups : array-like of shape (n_samples,), default=None
            Recording id of each frame. None: ``X`` is one recording.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Post-processed predictions (float64).
        """
        check_is_fitted(self)
        n_samples = _n_samples(X)
        group_ids = _check_groups(groups, n_samples)
        raw = self.estimator_.predict(X, **self._routed_params("predict", groups, {}))
        raw = np.asarray(raw, dtype=np.float64).reshape(n_samples, -1)
        delay, window = np.atleast_1d(self.delay_), np.atleast_1d(self.window_)
        y_pred = _post_process(raw, group_ids, delay, window, self.smoothing)
        y_pred = y_pred * self.scale_ + self.offset_
        return y_pred.ravel() if self._y_ndim == 1 else y_pred

    def score(self, X, y, sample_weight=None, groups=None):
        """R² of the post-processed predictions (``predict(X, groups)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frames, in time order within each recording.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets. NaN marks an unlabeled frame: it is predicted (it
            is part of its recording) but not scored, as in
            :meth:`SEWRegressor.score <sewlearn.SEWRegressor.score>`.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        groups : array-like of shape (n_samples,), default=None
            Recording id of each frame. None: ``X`` is one recording.

        Returns
        -------
        score : float
            :func:`~sklearn.metrics.r2_score` of ``predict(X, groups)`` on the
            labeled targets (with several outputs, each on its labeled rows,
            averaged uniformly).
        """
        y = check_array(
            y, ensure_2d=False, ensure_all_finite="allow-nan", input_name="y"
        )
        _check_every_output_labeled(y)  # before predicting
        y_pred = self.predict(X, groups=groups)
        return _labeled_r2_score(y, y_pred, sample_weight)

    # -- delegated attributes --------------------------------------------------

    def _fitted_estimator_attribute(self, name):
        # An AttributeError, not NotFittedError, before fit: hasattr is False.
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{self.__class__.__name__} object has no attribute {name!r} "
                "before fit."
            ) from exc
        return getattr(self.estimator_, name)

    @property
    def n_features_in_(self):
        """Number of features seen in ``fit``."""
        return self._fitted_estimator_attribute("n_features_in_")

    @property
    def feature_names_in_(self):
        """Names of the features seen in ``fit``, when they were strings."""
        return self._fitted_estimator_attribute("feature_names_in_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.target_tags.multi_output = inner.target_tags.multi_output
        return tags
