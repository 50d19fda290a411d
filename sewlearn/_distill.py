# License: BSD 3 clause
"""Output-level transfer: a teacher on the strong view labels a weak-view student.

Generalised distillation (Lopez-Paz et al., ICLR 2016): a *teacher* fitted on
the privileged (strong) view of the labeled rows produces outputs that a
*student* on the weak view imitates, on the labeled rows mixed with their
labels and on unlabeled paired rows alone. SEW transfers through the
representation; these meta-estimators transfer through the outputs and wrap
any scikit-learn student and teacher.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from ._compat import HasMethods, Interval, StrOptions, _fit_context, _safe_indexing
from ._docstring import Substitution
from ._sew import _unlabeled_labels
from ._teacher import (
    class_columns,
    cross_fit,
    cross_fit_splits,
    n_rows,
    rows_of,
    teacher_input,
)
from .exceptions import WeakTeacherWarning

__all__ = ["DistilledClassifier", "DistilledRegressor"]

# Soft targets reach a student as one row per (row, class) pair weighted by
# the class's target probability; pairs below this probability are dropped.
MIN_SOFT_PROBABILITY = 1e-3


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


_PARAMETERS_DOC = """
estimator : estimator object
    The student: any scikit-learn estimator with ``fit`` and ``predict``
    (a :class:`~sklearn.linear_model.Ridge`, a
    :class:`~sklearn.ensemble.HistGradientBoostingRegressor`, a uni-modal
    :class:`~sewlearn.SEWRegressor`...). Cloned and fitted on ``X`` with
    the mixed targets; it alone predicts.
teacher : estimator object
    Any scikit-learn estimator, cloned and fitted on the labeled rows of
    the teacher's view (``teacher_view``), ``cv`` times out of fold and
    once on all labeled rows.
imitation : float in [0, 1], default=0.5
    Lopez-Paz's lambda: the weight of the teacher's output in the
    student's target on a labeled row, ``(1 - imitation) * label +
    imitation * teacher``. Unlabeled rows always get the teacher's output
    alone. 0: labeled rows keep their labels (pseudo-labelling of the
    unlabeled rows only). Measured (``benchmarks/bench_distillation.py``),
    1 did best on digits and 0 on the RECOLA-like data, each by about
    0.01; 0.5 was within 0.008 of the best and never the worst.
teacher_view : {"strong", "both"}, default="both"
    What the teacher sees: ``X_strong`` alone, or ``X`` and ``X_strong``
    side by side. "both" protects against a "strong" view that predicts
    worse than the weak one: measured, a teacher on "strong" cost the
    student up to 0.28 accuracy where the views of digits were swapped and
    up to 0.12 CCC on the RECOLA-like data; on "both", at most 0.016 and
    never significantly, and within 0.02 of "strong" where the strong view
    is the better one.
cv : int, cross-validation generator or iterable, default=5
    How the teacher's outputs on the labeled rows are cross-fitted: each
    labeled row gets the output of a teacher that did not see it, or
    imitation would copy the labels. An int: (Stratified)KFold with that
    many folds, or, when ``groups`` is given, GroupKFold over the groups
    (contiguous blocks of each group when there are fewer groups than
    folds). The splits must cover each labeled row once.
on_weak_teacher : {"warn", "fallback", "ignore"}, default="warn"
    The guard. A clone of ``estimator`` is cross-fitted on the weak view
    of the labeled rows (the same splits) and its out-of-fold score,
    ``weak_score_``, compared with the teacher's, ``teacher_score_``. When
    the teacher is no better, "warn" raises a
    :class:`~sewlearn.exceptions.WeakTeacherWarning`, "fallback" fits the
    student on the labeled rows and their labels alone (``fallback_``
    True). "ignore" skips the guard and its ``cv`` student fits.
estimator_strong : bool, default=False
    Also pass ``X_strong`` (the rows the student is fitted on) to the
    student's ``fit``, for a student that takes it: a
    :class:`~sewlearn.SEWRegressor` or :class:`~sewlearn.SEWClassifier`
    then transfers the strong view through its representation *and* through
    the teacher's outputs. For a :class:`~sklearn.pipeline.Pipeline`, its
    last step gets it (``<step>__X_strong``). The guard's reference stays
    the student on the weak view alone.
"""

_FIT_DOC = """
X_strong : array-like or dict of array-like, default=None
    The strong view of the same rows, for the teacher only; a dict (or a
    list) of several strong views is concatenated in its order. None: the
    teacher sees ``X`` (self-distillation).
sample_weight : array-like of shape (n_samples,), default=None
    Without metadata routing, passed to the teacher (labeled rows) and to
    the student (both must accept it); with routing, to those that request
    it.
groups : array-like of shape (n_samples,), default=None
    Group of each row (e.g. its recording), for the cross-fitting splits
    (see ``cv``); with routing, also passed to the teacher and the student
    when they request it.
**fit_params : dict
    Only with metadata routing (``sklearn.set_config(
    enable_metadata_routing=True)``): other metadata, routed to the
    teacher's and the student's ``fit`` as they request them.
"""

_fit_doc = Substitution(fit=_FIT_DOC)


class _BaseDistilled(MetaEstimatorMixin, BaseEstimator):
    """Shared machinery: views, cross-fitting, the guard, routing."""

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "teacher": [HasMethods(["fit", "predict"])],
        "imitation": [Interval(Real, 0, 1, closed="both")],
        "teacher_view": [StrOptions({"strong", "both"})],
        "cv": ["cv_object"],
        "on_weak_teacher": [StrOptions({"warn", "fallback", "ignore"})],
        "estimator_strong": ["boolean"],
    }

    def __init__(
        self,
        estimator,
        teacher,
        *,
        imitation=0.5,
        teacher_view="both",
        cv=5,
        on_weak_teacher="warn",
        estimator_strong=False,
    ):
        self.estimator = estimator
        self.teacher = teacher
        self.imitation = imitation
        self.teacher_view = teacher_view
        self.cv = cv
        self.on_weak_teacher = on_weak_teacher
        self.estimator_strong = estimator_strong

    # -- task hooks ------------------------------------------------------------
    def _validate_y(self, y, n_samples):
        """Validated ``y`` and the labeled-row mask."""
        raise NotImplementedError

    def _teacher_outputs(self, teacher, X):
        raise NotImplementedError

    def _score_outputs(self, y, outputs):
        """The score of the teacher's out-of-fold outputs."""
        raise NotImplementedError

    def _score_predictions(self, y, predictions):
        """The score of the student's out-of-fold predictions."""
        raise NotImplementedError

    def _fit_student(self, student, X, y, labeled, oof, outputs, params):
        raise NotImplementedError

    # -- metadata --------------------------------------------------------------
    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``X_strong`` and ``groups`` are this estimator's own (``groups`` is
        also routed to the teacher and the student that request it); other
        ``fit`` metadata go to ``teacher`` and ``estimator`` as they request
        them; ``predict`` metadata to ``estimator``.

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
                .add(caller="score", callee="score"),
            )
            .add(
                teacher=self.teacher,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )

    def _fit_metadata(self, sample_weight, groups, fit_params):
        """The ``fit`` keyword arguments of the teacher and of the student."""
        if get_config().get("enable_metadata_routing", False):
            metadata = dict(fit_params)
            for key, value in (("sample_weight", sample_weight), ("groups", groups)):
                if value is not None:
                    metadata[key] = value
            routed = process_routing(self, "fit", **metadata)
            return dict(routed.teacher.fit), dict(routed.estimator.fit)
        if fit_params:
            raise TypeError(
                f"{self.__class__.__name__}.fit got {sorted(fit_params)}: without "
                "metadata routing it takes X_strong, sample_weight and groups "
                "only. Enable routing (sklearn.set_config(enable_metadata_"
                "routing=True)) and set_fit_request on the teacher or the "
                "estimator to pass other metadata."
            )
        if sample_weight is None:
            return {}, {}
        for name, est in (("teacher", self.teacher), ("estimator", self.estimator)):
            if not has_fit_parameter(est, "sample_weight"):
                raise ValueError(
                    f"sample_weight was given but the {name}, "
                    f"{est.__class__.__name__}, does not accept sample_weight in "
                    "fit. With metadata routing, request it only where it applies."
                )
        return {"sample_weight": sample_weight}, {"sample_weight": sample_weight}

    # -- fitting ---------------------------------------------------------------
    def _teacher_view(self, X, X_strong, n_samples):
        """The teacher's input: the strong views (and ``X`` with "both")."""
        return teacher_input(X, X_strong, self.teacher_view)

    def _splits(self, X, y, groups):
        """The cross-fitting ``(train, test)`` splits of the labeled rows."""
        return cross_fit_splits(
            self.cv, X, y, groups, classifier=isinstance(self, ClassifierMixin)
        )

    def _cross_fit(self, estimator, X, y, splits, params, method):
        """Out-of-fold ``method`` outputs of clones of ``estimator``."""
        return cross_fit(estimator, X, y, splits, params, method)

    def _fit(self, X, y, X_strong, sample_weight, groups, fit_params):
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        teacher_params, student_params = self._fit_metadata(
            sample_weight, groups, fit_params
        )
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            ensure_all_finite=False,
            ensure_min_samples=2,
        )
        if y is None:
            raise ValueError(
                f"{self.__class__.__name__} requires y to be passed, but the "
                "target y is None."
            )
        n_samples = n_rows(X)
        check_consistent_length(X, y)
        y, labeled = self._validate_y(y, n_samples)
        X_teacher = self._teacher_view(X, X_strong, n_samples)
        lab = np.flatnonzero(labeled)
        X_lab, T_lab, y_lab = (
            _safe_indexing(X, lab),
            _safe_indexing(X_teacher, lab),
            y[lab],
        )
        teacher_lab = rows_of(teacher_params, lab, n_samples)
        student_lab = rows_of(student_params, lab, n_samples)
        groups_lab = None if groups is None else np.asarray(groups)[lab]
        splits = self._splits(X_lab, y_lab, groups_lab)

        oof = self._cross_fit(
            self.teacher, T_lab, y_lab, splits, teacher_lab, self._teacher_outputs
        )
        teacher_score = self._score_outputs(y_lab, oof)
        weak_score, fallback = None, False
        if self.on_weak_teacher != "ignore":
            weak = self._cross_fit(
                self.estimator,
                X_lab,
                y_lab,
                splits,
                student_lab,
                lambda est, X: est.predict(X),
            )
            weak_score = self._score_predictions(y_lab, weak)
            if teacher_score <= weak_score:
                fallback = self.on_weak_teacher == "fallback"
                warnings.warn(
                    f"The teacher's out-of-fold score on the labeled rows "
                    f"({teacher_score:.4f}) is no better than the student's on "
                    f"the weak view alone ({weak_score:.4f}): imitating it is "
                    "likely to hurt. "
                    + (
                        "The student is fitted on the labels alone."
                        if fallback
                        else "Try teacher_view='both', another teacher, or "
                        "on_weak_teacher='fallback'."
                    ),
                    WeakTeacherWarning,
                )

        teacher = clone(self.teacher).fit(T_lab, y_lab, **teacher_lab)
        student = clone(self.estimator)
        if self.estimator_strong and X_strong is not None:
            # Not in the guard's reference above: that is the weak view alone.
            if isinstance(X_strong, (list, tuple)) and not np.ndim(X_strong[0]) < 2:
                X_strong = {f"strong{i}": v for i, v in enumerate(X_strong)}
            # A Pipeline's last step takes it as ``<step>__X_strong``.
            steps = getattr(self.estimator, "steps", None)
            key = f"{steps[-1][0]}__X_strong" if steps else "X_strong"
            student_params = {**student_params, key: X_strong}
            student_lab = rows_of({key: X_strong}, lab, n_samples) | student_lab
        if fallback:
            self._fit_student(student, X_lab, y_lab, None, None, None, student_lab)
        else:
            unl = np.flatnonzero(~labeled)
            outputs = (
                self._teacher_outputs(teacher, _safe_indexing(X_teacher, unl))
                if len(unl)
                else None
            )
            self._fit_student(student, X, y, labeled, oof, outputs, student_params)
        self.teacher_ = teacher
        self.estimator_ = student
        self.teacher_score_ = teacher_score
        self.weak_score_ = weak_score
        self.fallback_ = fallback
        return self

    # -- prediction ------------------------------------------------------------
    def predict(self, X, **predict_params):
        """Predict with the student, from the weak view alone.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The weak view.
        **predict_params : dict
            Passed to the student's ``predict`` (with metadata routing, what
            it requests).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The student's predictions.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            ensure_all_finite=False,
            reset=False,
        )
        if get_config().get("enable_metadata_routing", False):
            predict_params = dict(
                process_routing(self, "predict", **predict_params).estimator.predict
            )
        return self.estimator_.predict(X, **predict_params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A model from load_model has no teacher (training only): teacher=None.
        children = [
            get_tags(e) for e in (self.estimator, self.teacher) if e is not None
        ]
        tags.input_tags.sparse = all(t.input_tags.sparse for t in children)
        tags.input_tags.allow_nan = all(t.input_tags.allow_nan for t in children)
        return tags


@Substitution(parameters=_PARAMETERS_DOC)
class DistilledRegressor(RegressorMixin, _BaseDistilled):
    """A weak-view regressor that imitates a teacher on the strong view.

    Generalised distillation [1]_: the ``teacher`` is fitted on the labeled
    rows of the strong view (or of both views); the student, ``estimator``,
    is fitted on the weak view ``X`` of every row with the target

    - ``(1 - imitation) * y + imitation * t`` on a labeled row, ``t`` the
      *out-of-fold* output of a teacher that did not see that row (``cv``);
    - ``t`` alone on an unlabeled row (NaN target), the output of the teacher
      fitted on all labeled rows.

    The strong view is needed by ``fit`` only: ``predict`` and ``score`` take
    the weak view. SEW (:class:`SEWRegressor`) transfers the strong view
    through the representation; this meta-estimator through the outputs, for
    any student. The gain comes from unlabeled paired rows: without them it
    can only shrink the labels towards the teacher's.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    estimator_ : estimator object
        The fitted student.
    teacher_ : estimator object
        The teacher fitted on all labeled rows (it labels the unlabeled ones).
    teacher_score_ : float
        R^2 of the teacher's out-of-fold outputs on the labeled rows.
    weak_score_ : float or None
        R^2 of a clone of the student cross-fitted on the weak view of the
        labeled rows, with the same splits; None with
        ``on_weak_teacher="ignore"``.
    fallback_ : bool
        Whether the guard fitted the student on the labels alone.
    n_features_in_ : int
        Number of features of ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features of ``X``, when they are all strings.

    See Also
    --------
    DistilledClassifier : The same for classification.
    SEWRegressor : Representation-level transfer.
    export_model : Pickle-free export, for a SEW student (the teacher only
        trains and is left out).
    sklearn.ensemble.StackingRegressor : Cross-fitted outputs as features.

    References
    ----------
    .. [1] D. Lopez-Paz, L. Bottou, B. Schölkopf and V. Vapnik, "Unifying
       distillation and privileged information", ICLR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sewlearn import DistilledRegressor
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(300, 2))
    >>> X_weak = z @ rng.normal(size=(2, 6)) + 2 * rng.normal(size=(300, 6))
    >>> X_strong = z + 0.1 * rng.normal(size=(300, 2))
    >>> y = z[:, 0] + 0.1 * rng.normal(size=300)
    >>> y_semi = y.copy()
    >>> y_semi[30:] = np.nan  # 30 labeled rows, 270 unlabeled pairs
    >>> model = DistilledRegressor(Ridge(), Ridge(), teacher_view="strong")
    >>> model.fit(X_weak, y_semi, X_strong=X_strong).predict(X_weak[:2]).shape
    (2,)
    >>> bool(model.teacher_score_ > model.weak_score_)
    True
    """

    def _validate_y(self, y, n_samples):
        y = check_array(
            y,
            ensure_2d=False,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            input_name="y",
        )
        missing = np.isnan(y) if y.ndim == 1 else np.isnan(y).any(axis=1)
        if y.ndim == 2 and (missing != np.isnan(y).all(axis=1)).any():
            raise ValueError(
                "y: a row is unlabeled when all its targets are NaN; rows with "
                "some targets NaN are not supported."
            )
        if missing.sum() > n_samples - 2:
            raise ValueError(
                "y needs at least 2 labeled rows (NaN marks an unlabeled row), "
                f"got {n_samples - missing.sum()}."
            )
        return y, ~missing

    def _teacher_outputs(self, teacher, X):
        return np.asarray(teacher.predict(X), dtype=np.float64)

    def _score_outputs(self, y, outputs):
        return float(r2_score(y, outputs.reshape(y.shape)))

    _score_predictions = _score_outputs

    def _fit_student(self, student, X, y, labeled, oof, outputs, params):
        if labeled is None:
            student.fit(X, y, **params)
            return
        target = np.empty_like(y)
        target[labeled] = (1 - self.imitation) * y[labeled] + self.imitation * (
            oof.reshape(y[labeled].shape)
        )
        if outputs is not None:
            target[~labeled] = outputs.reshape(target[~labeled].shape)
        student.fit(X, target, **params)

    @_fit_context(
        # the teacher and the estimator are validated by their own fit
        prefer_skip_nested_validation=False
    )
    @_fit_doc
    def fit(self, X, y, X_strong=None, sample_weight=None, groups=None, **fit_params):
        """Fit the teacher (cross-fitted on the labeled rows), then the student.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The weak view, the student's only input.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; NaN marks an unlabeled row (all its targets NaN).
        %(fit)s

        Returns
        -------
        self : object
            The fitted meta-estimator.
        """
        return self._fit(X, y, X_strong, sample_weight, groups, fit_params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


@Substitution(parameters=_PARAMETERS_DOC)
class DistilledClassifier(ClassifierMixin, _BaseDistilled):
    """A weak-view classifier that imitates a teacher on the strong view.

    Generalised distillation [1]_ for classification: the ``teacher`` (with
    ``predict_proba``) is fitted on the labeled rows of the strong view (or
    of both views); its class probabilities, softened by ``temperature``,
    are the student's targets: ``(1 - imitation) * onehot(y) + imitation *
    p`` on a labeled row, ``p`` the *out-of-fold* probabilities of a teacher
    that did not see the row (``cv``), and ``p`` alone on an unlabeled row
    (``-1``), from the teacher fitted on all labeled rows.

    How a student takes these targets (``targets``):

    - "soft": each row enters the student's ``fit`` once per class, with
      that class as its label and the class's target probability (times
      ``sample_weight``) as its sample weight; classes below a probability
      of 0.001 are dropped. For a student that minimises the log loss
      (:class:`~sklearn.linear_model.LogisticRegression`,
      :class:`~sklearn.ensemble.HistGradientBoostingClassifier`) this is
      exactly the cross-entropy to the soft targets. The student's ``fit``
      must accept ``sample_weight``.
    - "hard": each row gets the most probable class of its target as its
      label, and that probability (the teacher's confidence) as its sample
      weight when the student's ``fit`` accepts ``sample_weight``. A student
      without ``sample_weight`` (e.g. :class:`~sewlearn.SEWClassifier`) gets
      the hard labels unweighted: the documented fallback.
    - "auto": "soft" when the student's ``fit`` accepts ``sample_weight``,
      else "hard".

    ``predict``, ``predict_proba`` and ``score`` take the weak view alone.

    Parameters
    ----------
    %(parameters)s
    temperature : float > 0, default=1.0
        The teacher's probabilities are softened to ``p ** (1 / T)``,
        renormalised (the softmax of the log probabilities over ``T``). Above
        1, the student also learns which wrong classes the teacher finds
        likely.
    targets : {"auto", "soft", "hard"}, default="auto"
        How the targets reach the student (see above).
    threshold : float in [0, 1], default=0.0
        Unlabeled rows whose target's largest probability (the teacher's
        confidence after the temperature) is below it are left out of the
        student's fit, as ``SelfTrainingClassifier``'s ``threshold`` does.
        Labeled rows are always kept.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted student.
    teacher_ : estimator object
        The teacher fitted on all labeled rows (it labels the unlabeled ones).
    teacher_score_ : float
        Accuracy of the teacher's out-of-fold predictions on the labeled rows.
    weak_score_ : float or None
        Accuracy of a clone of the student cross-fitted on the weak view of
        the labeled rows, with the same splits; None with
        ``on_weak_teacher="ignore"``.
    fallback_ : bool
        Whether the guard fitted the student on the labels alone.
    targets_ : {"soft", "hard"}
        How the targets reached the student.
    classes_ : ndarray of shape (n_classes,)
        The classes of the labeled rows.
    n_features_in_ : int
        Number of features of ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features of ``X``, when they are all strings.

    See Also
    --------
    DistilledRegressor : The same for regression.
    SEWClassifier : Representation-level transfer.
    export_model : Pickle-free export, for a SEW student (the teacher only
        trains and is left out).
    sklearn.semi_supervised.SelfTrainingClassifier : Pseudo-labels from the
        student itself, on the same view.

    References
    ----------
    .. [1] D. Lopez-Paz, L. Bottou, B. Schölkopf and V. Vapnik, "Unifying
       distillation and privileged information", ICLR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sewlearn import DistilledClassifier
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(300, 2))
    >>> X_weak = z @ rng.normal(size=(2, 6)) + 2 * rng.normal(size=(300, 6))
    >>> X_strong = z + 0.1 * rng.normal(size=(300, 2))
    >>> y = (z[:, 0] > 0).astype(int)
    >>> y_semi = y.copy()
    >>> y_semi[40:] = -1  # 40 labeled rows, 260 unlabeled pairs
    >>> model = DistilledClassifier(LogisticRegression(), LogisticRegression(),
    ...                             teacher_view="strong")
    >>> model.fit(X_weak, y_semi, X_strong=X_strong).targets_
    'soft'
    >>> model.predict_proba(X_weak[:2]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints = {
        **_BaseDistilled._parameter_constraints,
        "teacher": [HasMethods(["fit", "predict_proba"])],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "targets": [StrOptions({"auto", "soft", "hard"})],
        "threshold": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        estimator,
        teacher,
        *,
        imitation=0.5,
        teacher_view="both",
        cv=5,
        on_weak_teacher="warn",
        estimator_strong=False,
        temperature=1.0,
        targets="auto",
        threshold=0.0,
    ):
        super().__init__(
            estimator,
            teacher,
            imitation=imitation,
            teacher_view=teacher_view,
            cv=cv,
            on_weak_teacher=on_weak_teacher,
            estimator_strong=estimator_strong,
        )
        self.temperature = temperature
        self.targets = targets
        self.threshold = threshold

    def _validate_y(self, y, n_samples):
        y = check_array(
            y, ensure_2d=False, dtype=None, ensure_all_finite=False, input_name="y"
        )
        y = column_or_1d(y, warn=True)
        labeled = ~_unlabeled_labels(y)
        check_classification_targets(y[labeled])
        self.classes_ = np.unique(y[labeled])
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has {len(self.classes_)} class among its labeled rows; a "
                "classifier needs at least 2 (-1 marks an unlabeled row)."
            )
        return y, labeled

    def _soften(self, proba):
        if self.temperature == 1.0:
            return proba
        with np.errstate(divide="ignore"):
            logits = np.log(proba) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        soft = np.exp(logits)
        return soft / soft.sum(axis=1, keepdims=True)

    def _teacher_outputs(self, teacher, X):
        """The teacher's probabilities, one column per class of ``classes_``."""
        return self._soften(class_columns(teacher, X, self.classes_))

    def _score_outputs(self, y, outputs):
        return float(accuracy_score(y, self.classes_[outputs.argmax(axis=1)]))

    def _score_predictions(self, y, predictions):
        return float(accuracy_score(y, predictions))

    def _fit_student(self, student, X, y, labeled, oof, outputs, params):
        weighted = has_fit_parameter(student, "sample_weight")
        targets = self.targets
        if targets == "auto":
            targets = "soft" if weighted else "hard"
        if targets == "soft" and not weighted:
            raise ValueError(
                f"targets='soft' needs a student whose fit accepts sample_weight; "
                f"{student.__class__.__name__}'s does not. Use targets='hard' (or "
                "'auto'): hard labels, unweighted for such a student."
            )
        self.targets_ = targets
        n_samples = n_rows(X)
        if labeled is None:  # the guard's fallback: labels alone
            student.fit(X, y, **params)
            return
        target = np.zeros((n_samples, len(self.classes_)))
        onehot = (y[labeled][:, None] == self.classes_).astype(np.float64)
        target[labeled] = (1 - self.imitation) * onehot + self.imitation * oof
        if outputs is not None:
            target[~labeled] = outputs
        keep = labeled | (target.max(axis=1) >= self.threshold)
        if outputs is None:
            keep &= labeled
        user_weight = params.get("sample_weight")
        user_weight = (
            np.ones(n_samples) if user_weight is None else np.asarray(user_weight)
        )
        if targets == "soft":
            rows, classes = np.nonzero((target >= MIN_SOFT_PROBABILITY) & keep[:, None])
            weight = target[rows, classes] * user_weight[rows]
            labels = self.classes_[classes]
        else:
            rows = np.flatnonzero(keep)
            labels = self.classes_[target[rows].argmax(axis=1)]
            weight = target[rows].max(axis=1) * user_weight[rows]
        params = rows_of(params, rows, n_samples)
        if weighted:
            params["sample_weight"] = weight
        student.fit(_safe_indexing(X, rows), labels, **params)

    @_fit_context(
        # the teacher and the estimator are validated by their own fit
        prefer_skip_nested_validation=False
    )
    @_fit_doc
    def fit(self, X, y, X_strong=None, sample_weight=None, groups=None, **fit_params):
        """Fit the teacher (cross-fitted on the labeled rows), then the student.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The weak view, the student's only input.
        y : array-like of shape (n_samples,)
            Class labels; -1 (or "-1" for string labels) marks an unlabeled
            row.
        %(fit)s

        Returns
        -------
        self : object
            The fitted meta-estimator.
        """
        return self._fit(X, y, X_strong, sample_weight, groups, fit_params)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the student, from the weak view alone.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The weak view.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            One column per class of ``classes_`` (zero for a class the
            student never saw).
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            ensure_all_finite=False,
            reset=False,
        )
        proba = self.estimator_.predict_proba(X)
        out = np.zeros((proba.shape[0], len(self.classes_)))
        out[:, np.searchsorted(self.classes_, self.estimator_.classes_)] = proba
        return out
