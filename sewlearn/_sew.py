# License: BSD 3 clause
"""SEW (Stronger Enhancing Weaker) estimators."""

import contextlib
import numbers
import warnings
from numbers import Integral, Real
from types import MappingProxyType

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._base import (
    PARAMETER_DOCS,
    BaseTorchEstimator,
    _caller_stacklevel,
    check_layer_sizes,
    extends_signature,
    warn_once_at_caller,
)
from ._compat import HasMethods, Interval, StrOptions, _fit_context, _safe_indexing
from ._docstring import Substitution
from ._losses import ALIGNMENTS, COMPONENTS, DISTILLATION_COMPONENTS, SEWLoss
from ._modules import DeployedSEW, SEWModule
from ._net import PREDICT_CHUNK
from ._sequence import (
    check_groups,
    recording_bounds,
    stitched_outputs,
    training_windows,
)
from ._teacher import class_columns, cross_fit, cross_fit_splits, teacher_input
from .exceptions import AlignmentSaturationWarning, WeakTeacherWarning
from .metrics import _check_every_output_labeled, _labeled_r2_score

__all__ = ["PAPER_TRAINING", "SEWClassifier", "SEWRegressor"]

# The ridge penalties that teacher="linear" chooses from (RidgeCV), regression.
LINEAR_TEACHER_ALPHAS = np.logspace(-1, 5, 13)

#: The paper's training recipe (section 4.3): SGD with momentum 0.7, learning
#: rate 0.001, batches of 32 (and weight decay 1e-4), for
#: ``SEWRegressor(**PAPER_TRAINING)`` or ``SEWClassifier(**PAPER_TRAINING)``.
#: The paper's targets were not rescaled: add ``standardize_target=False`` to
#: a regressor to train as it did (``sewlearn reproduce`` does both). Read-only.
PAPER_TRAINING = MappingProxyType(
    {
        "optimizer": "sgd",
        "lr": 1e-3,
        "momentum": 0.7,
        "weight_decay": 1e-4,
        "batch_size": 32,
    }
)

# The mark of a row without a label, as in sklearn.semi_supervised: -1 for
# class labels ("-1" when the labels are strings), NaN for regression targets.
UNLABELED = -1


@contextlib.contextmanager
def _name_non_numeric(**arrays):
    """Re-raise numpy's "could not convert" errors naming the argument at fault."""
    try:
        yield
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        for name, array in arrays.items():
            try:
                np.asarray(array, dtype=np.float64)
            except (ValueError, TypeError):
                raise ValueError(f"{name} must be numeric: {exc}") from exc
        raise


@contextlib.contextmanager
def _named_errors(name):
    """Prefix ``name`` to a ValueError of scikit-learn's that does not name it."""
    try:
        yield
    except ValueError as exc:
        if name in str(exc):
            raise
        raise ValueError(f"{name}: {exc}") from exc


_X_DOC = """
    X : array-like of shape (n_samples, n_features)
        The weak modality.
    """

# ``groups`` of the methods that predict (and score).
_GROUPS_DOC = """
    groups : array-like of shape (n_samples,), default=None
        The recording of each row, read by the sequence model
        (``sequence_length`` set): the rows of a recording contiguous and in
        time order, the recordings in any order. None: all rows are one
        recording. Each frame's prediction is read from the window position
        where it has the most past context: the window of ``sequence_length``
        frames that ends at it or, for the first ``sequence_length - 1``
        frames of a recording, the recording's first window; a recording
        shorter than the window is read whole. No window crosses a recording.
        The frame-wise model ignores ``groups`` (its length is checked).
    """

# ``X`` of the methods that need the weak modality alone; ``groups`` of those
# that predict.
_weak_X_doc = Substitution(X=_X_DOC)
_weak_X_groups_doc = Substitution(X=_X_DOC, groups=_GROUPS_DOC)

# The parameters of both SEW estimators, in the order of their signature.
_PARAMETERS_DOC = (
    """
    weak_hidden_layer_sizes : tuple of int, default=(512, 256)
        Hidden layers of the weak encoder ``W_E`` (its output is the latent
        code of width ``latent_dim``). The default is the paper's
        video-geometric encoder.
    strong_hidden_layer_sizes : tuple of int or dict, default=(108,)
        Hidden layers of the strong encoder ``S_E``. Both decoders ``S_D1``
        and ``S_D2`` reconstruct the strong modality and mirror ``S_E``. The
        default is the paper's audio encoder. With several strong modalities
        (``X_strong`` a dict), one tuple for all or a dict by modality name.
    latent_dim : int, default=128
        Width ``d`` of the shared latent space (paper: 128, or 168 with the
        video-appearance features).
    activation : {"tanh", "relu", "logistic", "identity"}, default="tanh"
        Activation between linear layers (paper: tanh). Codes and
        reconstructions are linear.
    head : {"mlp", "gru"}, default="mlp"
        The task head ``R`` on the weak code (the paper's regressor; a
        classification head in :class:`SEWClassifier`). "mlp":
        ``activation`` then an MLP with ``head_hidden_layer_sizes``. "gru":
        the paper's stacked single-time-step GRU layers (one per entry of
        ``head_hidden_layer_sizes``; the paper uses ``(120,) * 4``) then a
        linear layer; with ``sequence_length``, the same layers run over
        time, a recurrent head.
    head_hidden_layer_sizes : tuple of int, default=(120,)
        Hidden widths of ``R``.
    sequence_length : int or None, default=None
        None: the paper's frame-wise model, each row an independent sample.
        An int ``L``: a sequence model over windows of ``L`` consecutive
        frames of one recording; ``fit`` then needs ``groups``, the recording
        of each row (its rows contiguous and in time order), and ``predict``
        reads it. ``R`` must be recurrent, ``head="gru"`` (an MLP head sees
        one frame only and is refused): its GRU layers run over the window
        of weak codes, from a zero state at the window's first frame. The
        prediction loss is per frame (unlabeled frames masked; with windows,
        unlabeled rows serve as context even without ``X_strong``); the
        translation, auto-encoding and alignment terms take the frames of the
        batch's windows as rows. The training windows tile each recording
        (no overlap, the last window ending at the recording's last frame);
        ``fit`` refuses recordings shorter than ``L``. ``batch_size`` then
        counts windows: ``batch_size * L`` frames a batch, about
        ``n_samples / (batch_size * L)`` steps an epoch. Predictions are per
        frame, each with up to ``L - 1`` frames of its recording as past
        context (see ``groups`` in :meth:`predict`).
    alpha, beta, gamma : float, default=1.0
        Weights of the translation, auto-encoding and alignment losses in
        eq. 9. A zero weight removes the loss *and* the blocks only it uses:
        ``alpha=0`` is the paper's ablation "-SD1", ``beta=0`` "-SD2",
        ``gamma=0`` "-CCA", ``alpha=gamma=0`` "-(CCA & SD1)". With
        ``alpha=gamma=0`` nothing of the strong side reaches ``W_E`` (the
        auto-encoder alone cannot), so the network is ``W_E`` + ``R`` alone
        and the fit equals the uni-modal baseline, as it does when ``fit``
        gets no ``X_strong``.
    n_cca_components : int or None, default=10
        K, the number of canonical correlations summed by the alignment loss
        (paper: 10). None sums all ``latent_dim``. At most ``latent_dim``.
        :class:`DeepCCA` calls K ``n_components``, as scikit-learn's
        :class:`~sklearn.cross_decomposition.CCA` does, since there it is
        also the number of outputs; here the outputs are the ``latent_dim``
        codes.
    alignment : {"cca", "ey"}, default="cca"
        The alignment loss ``L_al`` (:class:`DeepCCA`'s ``objective``). "cca"
        (the paper's): minus the sum of the top K canonical correlations of
        each batch's weak and strong codes (eqs. 3-7). With
        ``batch_size - 1 <= latent_dim`` (the paper's 32 and 128) every batch
        is almost perfectly correlated whatever the weights, so this term
        saturates and passes little gradient; ``fit`` warns. "ey": the
        Eckart-Young loss (Chapman et al., ICLR 2024) between K-wide linear
        projections of the two codes (training-only blocks, dropped with the
        strong side), whose gradient is unbiased at any batch size (for a
        sequence model, of at least 4 windows: its covariances then use only
        pairs of frames of different windows); no ridge, no inverse. Its
        optimum is minus the sum of the K squared canonical correlations, in
        ``[-K, 0]`` like the "cca" loss.
    r1, r2 : float, default=1e-3
        Ridge added to the covariance of the strong code (``r1``, eq. 6) and
        of the weak code, ``X``'s (``r2``, eq. 7), the paper's names. In
        :class:`DeepCCA`, ``r1`` is the ridge of ``X``'s code and ``r2`` of
        ``y``'s.
    distillation : float, default=0.0
        Weight of ``L_kd``, an output-level transfer added to eq. 9 (not in
        the paper): the head's outputs on the weak code imitate a
        *teacher*'s outputs on every paired row, labeled or not (mean squared
        difference in the standardised target space for the regressor; the
        Kullback-Leibler divergence from the teacher's class probabilities
        for the classifier: soft targets). 0 (the default) is the paper's
        loss, bit for bit, and fits no teacher. Needs ``X_strong``; without
        it the fit is uni-modal and the term is ignored. See the user guide,
        "Which transfer to use", for measurements.
    teacher : {"linear", "joint"}, estimator or None, default="linear"
        The teacher of ``L_kd`` (used when ``distillation > 0``). "linear"
        (the default): a linear model on ``X`` and ``X_strong`` side by
        side, standardised, :class:`~sklearn.linear_model.RidgeCV`
        (regressor) or :class:`~sklearn.linear_model.LogisticRegression`
        (classifier), handled as an estimator below; on the negative control
        of the user guide ("Output transfer inside SEW") it did no harm
        where the joint teacher did. An estimator (any scikit-learn
        regressor, or a classifier with ``predict_proba``): cloned and
        fitted on the fully labeled rows of ``X`` and ``X_strong`` side by
        side (a dict or list of strong views in its order; select columns
        with a :class:`~sklearn.compose.ColumnTransformer` in a Pipeline),
        out of fold on them (``teacher_cv``), so that imitation does not
        copy their labels, and once on all of them for the other rows; its
        parameters are searchable as ``teacher__<name>``. "joint": a head of
        ``R``'s MLP shape on the strong codes ``S_E(X_strong)`` and the weak
        code ``W_E(X)`` (detached), trained in the same network on the
        labeled rows with ``L_pr``'s loss, weight 1 (``teacher_loss`` in
        ``history_``); its gradient reaches ``S_E``, which it makes
        predictive, never ``W_E``, and ``L_kd`` takes its outputs detached,
        so that the weak side imitates and the teacher is not pulled towards
        the student; it is not cross-fitted (it learns the labeled rows
        themselves) and has no guard. None: what :func:`~sewlearn.load_model`
        gives for a teacher estimator, which the pickle-free format does not
        store; it cannot be fitted with ``distillation > 0``. Every teacher
        is training-only, dropped with the strong side.
    teacher_cv : int, cross-validation generator or iterable, default=5
        The out-of-fold splits of an estimator ``teacher``, as ``cv`` of
        :class:`DistilledRegressor`: an int is a (Stratified)KFold, or with
        ``groups`` a GroupKFold over them (contiguous blocks of each group
        when there are fewer groups than folds).
    optimizer : {"sgd", "adam"}, default="sgd" (regressor), "adam" (classifier)
        Optimiser of every trained block. The regressor's training defaults
        are the paper's (section 4.3): SGD with momentum 0.7, learning rate
        0.001, batches of 32, also available by name as
        :data:`~sewlearn.PAPER_TRAINING`. The classifier's default is Adam
        (learning rate 0.001, batches of 32), which matched scikit-learn's
        ``MLPClassifier`` on ``load_digits`` where SGD fell short (user
        guide, "Training defaults").
    """,
    PARAMETER_DOCS["lr"],
    """
    momentum : float, default=0.7
        SGD momentum; ignored by Adam.
    weight_decay : float, default=1e-4
        L2 weight decay.
    batch_size : int, default=32
        Mini-batch size. The CCA loss is computed per batch.
    """,
    PARAMETER_DOCS["max_epochs"],
    """
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples (at random; of the
        labeled ones, when ``y`` marks unlabeled rows; with
        ``sequence_length``, of the training windows) and stop when the
        validation *prediction* loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the best weights are restored.
    """,
    PARAMETER_DOCS["stopping"],
    PARAMETER_DOCS["runtime"],
)

# The fitted attributes of both SEW estimators.
_ATTRIBUTES_DOC = """
    module_ : torch.nn.Module
        The deployed network: ``module_.weak_encoder`` (``W_E``) and
        ``module_.regressor`` (``R``, the head, under the paper's name), in
        eval mode.
    history_ : skorch.history.History
        Per epoch: ``train_loss`` (eq. 9) and each part that was trained,
        ``train_translation_loss``, ``train_reconstruction_loss``,
        ``train_alignment_loss``, ``train_prediction_loss``, with
        ``distillation > 0`` ``train_distillation_loss`` (and the joint
        teacher's ``train_teacher_loss``), and ``valid_*`` with early
        stopping, e.g. ``history_[:, "train_alignment_loss"]``;
        with an alignment loss, ``train_alignment_chance``, its value on one
        batch of mismatched pairs.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of weak features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the weak features, when ``X`` has string column names.
    n_features_strong_ : int or dict
        Number of strong features seen in ``fit`` (0 when trained uni-modal),
        or their number per strong modality when ``X_strong`` was a dict.
    n_labeled_, n_unlabeled_ : int
        Number of labeled and of unlabeled rows trained on.
    teacher_score_, weak_score_ : float or None
        With an estimator ``teacher`` and ``distillation > 0``: the
        out-of-fold score (:math:`R^2`, or accuracy) on the labeled rows of
        the teacher, and of the same estimator on ``X`` alone. When the
        teacher is no better, ``fit`` warns (a
        :class:`~sewlearn.exceptions.WeakTeacherWarning`): the strong view
        adds nothing the teacher can use, and imitating it is likely to
        hurt. None otherwise (the joint teacher has no out-of-fold score).
    """


class _BaseSEW(BaseTorchEstimator):
    """Shared machinery of the SEW estimators: validation, training, deployment.

    Subclasses fix the task: how ``y`` is validated and encoded, the width of
    the head's output and how outputs become predictions.
    """

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        "weak_hidden_layer_sizes": ["array-like"],
        "strong_hidden_layer_sizes": ["array-like", dict],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "head": [StrOptions({"mlp", "gru"})],
        "head_hidden_layer_sizes": ["array-like"],
        "sequence_length": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "n_cca_components": [Interval(Integral, 1, None, closed="left"), None],
        "alignment": [StrOptions(set(ALIGNMENTS))],
        "distillation": [Interval(Real, 0, None, closed="left")],
        "teacher": [
            StrOptions({"linear", "joint"}),
            HasMethods(["fit", "predict"]),
            None,
        ],
        "teacher_cv": ["cv_object"],
    }

    def __init__(
        self,
        *,
        weak_hidden_layer_sizes=(512, 256),
        strong_hidden_layer_sizes=(108,),
        latent_dim=128,
        activation="tanh",
        head="mlp",
        head_hidden_layer_sizes=(120,),
        sequence_length=None,
        alpha=1.0,
        beta=1.0,
        gamma=1.0,
        n_cca_components=10,
        alignment="cca",
        r1=1e-3,
        r2=1e-3,
        distillation=0.0,
        teacher="linear",
        teacher_cv=5,
        optimizer="sgd",
        lr=1e-3,
        momentum=0.7,
        weight_decay=1e-4,
        batch_size=32,
        max_epochs=100,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        self._store_params(locals())

    # With metadata routing, ``groups`` (first the splitter's metadata) reaches
    # these methods only when asked for, ``set_fit_request(groups=True)`` and so
    # on: code that passes ``groups`` for a GroupKFold runs as it did before
    # the methods took ``groups``, instead of raising that it is unrequested.
    __metadata_request__fit = {"groups": False}
    __metadata_request__predict = {"groups": False}
    __metadata_request__score = {"groups": False}

    # -- task hooks, set by subclasses ---------------------------------------
    def _validate_targets(self, X, y, allow_unlabeled):
        """Validate ``X`` and ``y``; return them and the labeled-row mask.

        The mask is None when every row is labeled. Rows marked unlabeled
        are refused unless ``allow_unlabeled`` (``X_strong`` given).
        """
        raise NotImplementedError

    def _prediction_loss(self):
        raise NotImplementedError

    def _stratify(self, y):
        """Per-row classes for a stratified validation split, or None."""
        return None

    # -- training ------------------------------------------------------------
    def _validate_strong(self, X, X_strong):
        """The strong modalities as a dict of standardised float32 arrays.

        One array becomes ``{"strong": array}``; a dict (or a list or tuple of
        arrays) gives one strong modality per entry.
        """
        if X_strong is None:
            return None
        if isinstance(X_strong, dict):
            views = dict(X_strong)
        elif isinstance(X_strong, (list, tuple)) and any(
            np.ndim(v) == 2 for v in X_strong
        ):
            # Several modalities: a list of 2-D arrays. A list of rows (1-D
            # entries, e.g. ``list(array)``) is one array-like, as for X.
            if not all(np.ndim(v) == 2 for v in X_strong):
                raise ValueError(
                    "X_strong: a list or tuple of strong modalities must hold "
                    "2-D arrays only, got entries of dimensions "
                    f"{[int(np.ndim(v)) for v in X_strong]}. Pass one 2-D array, "
                    "a dict of 2-D arrays or a list of 2-D arrays."
                )
            views = {f"strong{i}": v for i, v in enumerate(X_strong)}
        else:
            views = {"strong": X_strong}
        if not views:
            raise ValueError("X_strong is an empty dict: pass None for no strong view.")
        validated = {}
        for name, view in views.items():
            label = (
                "X_strong"
                if len(views) == 1 and name == "strong"
                else (f"X_strong[{name!r}]")
            )
            if (
                not isinstance(name, str)
                or not name.isidentifier()
                or name in ("weak", "teacher")
            ):
                raise ValueError(
                    f"{label}: strong modality names must be Python identifiers "
                    "other than 'weak' and 'teacher'."
                )
            if np.ndim(view) == 1:
                raise ValueError(
                    f"{label} must be 2-D (n_samples, n_strong_features), got a "
                    f"1-D array of shape {np.shape(view)}; with a single strong "
                    "feature, pass it as a column: .reshape(-1, 1)."
                )
            with _name_non_numeric(**{label: view}), _named_errors(label):
                view = check_array(
                    view,
                    dtype=(np.float64, np.float32),
                    input_name=label,
                    ensure_min_samples=2,
                )
            if view.shape[0] != X.shape[0]:
                raise ValueError(
                    f"{label} has {view.shape[0]} samples but X has "
                    f"{X.shape[0]}; they must be paired row by row."
                )
            # No Pipeline step reaches X_strong, so it is standardised here: the
            # reconstruction losses then weigh every strong feature alike.
            validated[name] = StandardScaler().fit_transform(view).astype(np.float32)
        return validated

    def _strong_hidden(self, names):
        """``strong_hidden_layer_sizes`` per strong modality."""
        sizes = self.strong_hidden_layer_sizes
        if isinstance(sizes, dict):
            missing = sorted(set(names) - set(sizes))
            if missing:
                raise ValueError(
                    f"strong_hidden_layer_sizes has no entry for {missing}."
                )
            return {
                n: check_layer_sizes(sizes[n], f"strong_hidden_layer_sizes[{n!r}]")
                for n in names
            }
        sizes = check_layer_sizes(sizes, "strong_hidden_layer_sizes")
        return dict.fromkeys(names, sizes)

    def _loss_parts(self, has_strong):
        """Which parts of eq. 9 this configuration trains, in eq. 9's order.

        Only ``L_tr`` (alpha) and ``L_al`` (gamma) reach ``W_E``; with both
        weights 0 the strong auto-encoder cannot change the deployed blocks,
        so it is not trained at all and the fit is the uni-modal one, or,
        with ``distillation``, ``L_pr + L_kd`` (the auto-encoder then only
        serves a joint teacher, which reads ``S_E``'s code).
        """
        if not has_strong or (
            self.alpha == 0 and self.gamma == 0 and self.distillation == 0
        ):
            return ("prediction_loss",)
        weights = {
            "translation_loss": self.alpha,
            "reconstruction_loss": (
                self.beta
                if self.alpha
                or self.gamma
                or (self.distillation and self._joint_teacher)
                else 0.0
            ),
            "alignment_loss": self.gamma,
            "prediction_loss": 1.0,
            # The output-level transfer: the joint teacher's own loss, L_kd.
            "teacher_loss": self.distillation * self._joint_teacher,
            "distillation_loss": self.distillation,
        }
        return tuple(
            name
            for name in (*COMPONENTS, *DISTILLATION_COMPONENTS)
            if weights[name] > 0
        )

    # What the joint teacher sees: "both" codes, or the "strong" ones alone.
    _joint_view = "both"

    @property
    def _joint_teacher(self):
        return isinstance(self.teacher, str) and self.teacher == "joint"

    def _check_alignment(self, parts, rows_per_batch):
        """Refuse a K above the code width; warn when the CCA term saturates.

        ``rows_per_batch``: the rows of the largest batch, ``batch_size`` frames
        (or all, if fewer), or with windows their frames.
        """
        if "alignment_loss" not in parts:
            return
        k = self.n_cca_components
        if k is not None and k > self.latent_dim:
            raise ValueError(
                f"n_cca_components={k} must be at most "
                f"latent_dim={self.latent_dim}: the codes have only latent_dim "
                "canonical correlations."
            )
        if self.alignment == "cca" and rows_per_batch - 1 <= self.latent_dim:
            # One line, once per setting and process (a grid search's clones
            # share it), at the user's own call.
            windows = (
                ""
                if self.sequence_length is None
                else f" (windows of {self.sequence_length} frames)"
            )
            warn_once_at_caller(
                f"alignment='cca' saturates with batches of {rows_per_batch} rows"
                f"{windows} <= latent_dim + 1 = {self.latent_dim + 1}: little "
                "gradient; use batch_size > latent_dim + 1 or alignment='ey' "
                "(user guide: 'Alignment saturation').",
                AlignmentSaturationWarning,
            )

    def _module_params(self, n_weak, widths, parts):
        """The arguments of :class:`~sewlearn._modules.SEWModule`."""
        return dict(
            n_weak=n_weak,
            n_strong=widths,
            n_outputs=self._n_head,
            weak_hidden=check_layer_sizes(
                self.weak_hidden_layer_sizes, "weak_hidden_layer_sizes"
            ),
            strong_hidden=self._strong_hidden(widths),
            latent_dim=self.latent_dim,
            activation=self.activation,
            head=self.head,
            head_hidden=check_layer_sizes(
                self.head_hidden_layer_sizes, "head_hidden_layer_sizes"
            ),
            build_translator="translation_loss" in parts,
            # S_E serves the auto-encoder (beta), the alignment (gamma) and
            # the joint teacher.
            build_strong_encoder=bool(
                {"reconstruction_loss", "alignment_loss", "teacher_loss"} & set(parts)
            ),
            build_strong_decoder="reconstruction_loss" in parts,
            align_dim=(
                (self.n_cca_components or self.latent_dim)
                if self.alignment == "ey" and "alignment_loss" in parts
                else None
            ),
            build_teacher=("teacher_loss" in parts) and self._joint_view,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, X_strong=None, groups=None):
        """Train the SEW network; keep only ``W_E`` and ``R``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The weak modality, the one available at prediction time.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            :class:`SEWRegressor`: targets, e.g. arousal, or arousal and
            valence as two columns; NaN marks a row (or an entry) without a
            label. :class:`SEWClassifier`: class labels (strings or integers;
            binary or multiclass), one column; -1 (or "-1" among strings)
            marks a row without a label. Unlabeled rows need ``X_strong``.
        X_strong : array-like of shape (n_samples, n_strong_features) or dict, \
                default=None
            The strong modality, paired row by row with ``X``; used in
            training only, standardised internally. None trains the uni-modal
            network ``W_E`` + ``R``. In ``GridSearchCV`` / ``cross_validate``
            an array is sliced per fold with ``X`` (as ``fit`` parameter, or
            with metadata routing after ``set_fit_request(X_strong=True)``).
            A dict of arrays (or a list of arrays) gives several strong
            modalities, each with its own ``S_E``, ``S_D1``, ``S_D2`` and CCA
            term, summed in the loss; scikit-learn's cross-validation does not
            slice a dict, so use this form with direct ``fit`` calls.
        groups : array-like of shape (n_samples,), default=None
            The recording of each row, needed with ``sequence_length``: the
            rows of a recording contiguous and in time order (windows never
            cross a recording). The frame-wise model ignores it (its length
            is checked). In cross-validation, the ``groups`` of a
            :class:`~sklearn.model_selection.GroupKFold` reach ``fit`` too with
            metadata routing after ``set_fit_request(groups=True)``; with
            routing off, through ``params={"groups": groups}`` of
            ``cross_validate`` or a Pipeline's ``<step>__groups``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, X_strong, groups)

    def _fit_unguarded(self, X, y, X_strong, groups):
        length = self.sequence_length
        if length is not None and self.head != "gru":
            raise ValueError(
                f"sequence_length={length} needs a recurrent head, head='gru' "
                f"(its GRU layers run over the window); head={self.head!r} sees "
                "one frame at a time. Set head='gru', or sequence_length=None."
            )
        if length is not None and groups is None:
            raise ValueError(
                f"sequence_length={length} needs groups, the recording of each "
                "row: fit(X, y, groups=recording_ids), so that no window crosses "
                "a recording. (In cross-validation: set_fit_request(groups=True) "
                "with metadata routing.)"
            )
        # With windows, unlabeled frames are context for the labeled ones.
        X, y, labeled = self._validate_targets(
            X, y, X_strong is not None or length is not None
        )
        X = X.astype(np.float32, copy=False)
        if length is not None:
            starts = training_windows(*recording_bounds(groups, len(X)), length)
            rows_per_batch = min(self.batch_size, len(starts)) * length
        else:
            check_groups(groups, len(X))  # its length, though unused
            rows_per_batch = min(self.batch_size, len(X))
        strong = self._validate_strong(X, X_strong)
        parts = self._loss_parts(strong is not None)
        self._check_alignment(parts, rows_per_batch)
        if parts == ("prediction_loss",):
            strong = None  # every strong-side weight is 0: uni-modal training
        widths = {} if strong is None else {k: v.shape[1] for k, v in strong.items()}
        if strong is None and labeled is not None and length is None:
            # Nothing but L_pr is trained: unlabeled rows have no use.
            X, y, labeled = X[labeled], y[labeled], None
        n_labeled = len(X) if labeled is None else int(labeled.sum())
        if length is None:
            samples = dict(labeled=labeled, stratify=self._stratify(y))
        else:
            # The samples are windows: labeled when one of their frames is
            # (the validation split needs labels), not stratified.
            in_window = starts[:, None] + np.arange(length)
            samples = dict(
                labeled=None if labeled is None else labeled[in_window].any(axis=1),
                windows=(starts, length),
            )
        if self.verbose:
            print(
                f"{type(self).__name__}: {n_labeled} labeled and "
                f"{len(X) - n_labeled} unlabeled rows."
            )
        inputs = {"weak": X, **(strong or {})}
        self.teacher_score_ = self.weak_score_ = None
        if "distillation_loss" in parts and self.teacher is None:
            raise ValueError(
                "distillation > 0 needs a teacher: 'linear', 'joint' or an estimator. "
                "teacher=None is what load_model gives for a teacher estimator, "
                "which the pickle-free format does not store; set one to refit."
            )
        if "distillation_loss" in parts and not self._joint_teacher:
            inputs["teacher"] = self._teacher_targets(X, y, X_strong, groups)

        self._train(
            inputs,
            y,
            module=SEWModule,
            module_params=self._module_params(X.shape[1], widths, parts),
            criterion=SEWLoss,
            criterion_params=dict(
                alpha=self.alpha,
                beta=self.beta,
                gamma=self.gamma,
                n_components=self.n_cca_components,
                r1=self.r1,
                r2=self.r2,
                prediction_loss=self._prediction_loss(),
                has_unlabeled=labeled is not None,
                alignment=self.alignment,
                frames_per_window=length or 1,
                distillation=self.distillation if "distillation_loss" in parts else 0.0,
            ),
            parts=parts,
            **samples,
        )
        if isinstance(X_strong, dict):
            self.n_features_strong_ = widths
        else:
            self.n_features_strong_ = sum(widths.values())
        self.n_labeled_ = n_labeled
        self.n_unlabeled_ = len(X) - n_labeled
        return self

    def _teacher_targets(self, X, y, X_strong, groups):
        """The given teacher's outputs on every row, out of fold where it learnt.

        ``teacher`` (cloned) learns the fully labeled rows of ``X`` and
        ``X_strong`` side by side, ``teacher_cv`` times out of fold (their
        outputs) and once on all of them (the other rows' outputs). Sets
        ``teacher_score_`` and ``weak_score_``, the out-of-fold scores of the
        teacher and of the same estimator on ``X`` alone, and warns when the
        teacher is no better.
        """
        classifier = isinstance(self, ClassifierMixin)
        estimator = self.teacher
        if isinstance(estimator, str):  # "linear"
            estimator = make_pipeline(
                StandardScaler(),
                LogisticRegression(max_iter=2000)
                if classifier
                else RidgeCV(alphas=LINEAR_TEACHER_ALPHAS),
            )
        full = y >= 0 if classifier else ~np.isnan(y).any(axis=1)
        lab = np.flatnonzero(full)
        y_lab = y[lab] if classifier else y[lab].astype(np.float64)
        if not classifier and y_lab.shape[1] == 1:
            y_lab = y_lab[:, 0]
        X_teacher = teacher_input(X, X_strong, "both")
        groups_lab = None if groups is None else np.asarray(groups)[lab]
        splits = cross_fit_splits(
            self.teacher_cv, lab, y_lab, groups_lab, classifier=classifier
        )
        if classifier:
            classes = np.arange(self._n_head)

            def outputs(fitted, rows):
                return class_columns(fitted, rows, classes)

            def score(fold_outputs):
                return float(accuracy_score(y_lab, fold_outputs.argmax(axis=1)))

        else:

            def outputs(fitted, rows):
                return np.asarray(fitted.predict(rows), dtype=np.float64)

            def score(fold_outputs):
                return float(r2_score(y_lab, fold_outputs.reshape(y_lab.shape)))

        T_lab = _safe_indexing(X_teacher, lab)
        oof = cross_fit(estimator, T_lab, y_lab, splits, {}, outputs)
        weak = cross_fit(estimator, X[lab], y_lab, splits, {}, outputs)
        self.teacher_score_, self.weak_score_ = score(oof), score(weak)
        if self.teacher_score_ <= self.weak_score_:
            warnings.warn(
                f"The teacher's out-of-fold score on the labeled rows "
                f"({self.teacher_score_:.4f}) is no better than the same "
                f"estimator's on the weak view alone ({self.weak_score_:.4f}): "
                "imitating it is likely to hurt. Try another teacher, or "
                "distillation=0.",
                WeakTeacherWarning,
                stacklevel=_caller_stacklevel() + 1,
            )
        teacher = clone(estimator).fit(T_lab, y_lab)
        rest = np.flatnonzero(~full)
        targets = np.zeros((len(X), self._n_head), dtype=np.float64)
        targets[lab] = oof.reshape(len(lab), -1)
        if len(rest):
            targets[rest] = outputs(teacher, _safe_indexing(X_teacher, rest)).reshape(
                len(rest), -1
            )
        return targets.astype(np.float32)

    def _deploy(self, module):
        # Paper, section 3: "all the components except the encoder, W_E, and
        # the regressor, R, are removed". Nothing of the strong side, the
        # optimizer or the per-batch history is kept.
        return DeployedSEW(module.weak_encoder, module.regressor)

    # -- inference -----------------------------------------------------------
    @property
    def _n_features_out(self):
        """Width of the weak code that ``transform`` returns (for
        ``get_feature_names_out``); AttributeError before ``fit``."""
        return self.module_.weak_encoder[-1].out_features

    def _forward(self, X, encode=False, groups=None):
        check_is_fitted(self)
        with _name_non_numeric(X=X):
            X = validate_data(self, X, reset=False, dtype=(np.float32, np.float64))
        if encode or self.sequence_length is None:
            check_groups(groups, len(X))  # its length, though unused
            block = self.module_.weak_encoder if encode else self.module_
            return self._chunked(block, X).astype(np.float64)
        # W_E frame by frame, then R over windows that stay within a recording.
        codes = torch.from_numpy(self._chunked(self.module_.weak_encoder, X))
        device = next(self.module_.parameters()).device
        bounds, _ = recording_bounds(groups, len(X))
        with (
            self._torch_threads(self.module_.regressor, min(len(X), PREDICT_CHUNK)),
            torch.inference_mode(),
        ):
            out = stitched_outputs(
                self.module_.regressor,
                codes.to(device),
                bounds,
                self.sequence_length,
                PREDICT_CHUNK,
            )
        return out.cpu().numpy().astype(np.float64)

    @_weak_X_doc
    def transform(self, X):
        """The weak latent code ``m_sw = W_E(X)``, to feed another estimator.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        codes : ndarray of shape (n_samples, latent_dim)
            The output of the weak encoder, the input of ``R``. With
            ``set_output(transform="pandas")``, a DataFrame whose columns are
            ``get_feature_names_out()``: the lower-case class name and the
            index, e.g. ``sewregressor0``.
        """
        return self._forward(X, encode=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform() gives the weak code in float64, whatever the input.
        tags.transformer_tags.preserves_dtype = []
        return tags


@Substitution(parameters=_PARAMETERS_DOC, attributes=_ATTRIBUTES_DOC)
class SEWRegressor(RegressorMixin, _BaseSEW):
    """SEW regressor: train with two modalities, predict with one.

    SEW (Rajan, Brutti & Cavallaro, ICASSP 2021) trains an encoder ``W_E`` of
    a *weak* modality ``X`` and a regressor ``R`` on its code, helped during
    training only by a paired *strong* modality ``X_strong``:

    - a translator decoder ``S_D1`` maps the weak code to the strong features
      (translation loss ``L_tr``, eq. 1, MSE),
    - an auto-encoder ``S_E`` / ``S_D2`` encodes the strong features into a
      latent space of the same width (``L_ae``, eq. 2, MSE),
    - a Deep CCA loss aligns the weak and strong codes (``L_al = -`` sum of the
      top ``n_cca_components`` canonical correlations, eqs. 3-7),
    - ``R`` predicts the target from the weak code (``L_pr``, eq. 8).

    The total loss is ``alpha*L_tr + beta*L_ae + gamma*L_al + L_pr`` (eq. 9).
    After ``fit`` only ``W_E`` and ``R`` are kept, so :meth:`predict` needs the
    weak modality alone. Training runs through skorch.

    Parameters
    ----------
    %(parameters)s
    prediction_loss : {"mse", "ccc"}, default="mse"
        ``L_pr`` (eq. 8): the mean squared error, or ``1 - CCC`` per batch and
        target (the concordance correlation coefficient, as often used in the
        AVEC challenges).
    standardize_target : bool, default=True
        Train on targets standardised per column (the mean and standard
        deviation of the labeled training targets, ``target_mean_`` and
        ``target_scale_``) and map predictions back to the targets' units,
        as :class:`~sklearn.compose.TransformedTargetRegressor` with a
        :class:`~sklearn.preprocessing.StandardScaler` would: the losses and
        the learning rate then mean the same on any target scale (without it,
        targets in the hundreds barely move in 100 epochs). False trains on
        ``y`` as given, as the paper did (its targets lie in [-1, 1]); see
        :data:`~sewlearn.PAPER_TRAINING`.

    Attributes
    ----------
    %(attributes)s
    n_outputs_ : int
        Number of targets.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The per-target mean and scale that training subtracted and divided
        by (0 and 1 with ``standardize_target=False``); :meth:`predict`
        returns ``R(W_E(X)) * target_scale_ + target_mean_``.

    See Also
    --------
    SEWClassifier : The same network with a classification head.
    DeepCCA : The CCA alignment alone, as a two-view transformer.
    ccc_score : The concordance correlation coefficient used to evaluate SEW.

    References
    ----------
    .. [1] V. Rajan, A. Brutti, A. Cavallaro, "Robust latent representations
       via cross-modal translation and alignment", ICASSP 2021.
    .. [2] G. Andrew, R. Arora, J. Bilmes, K. Livescu, "Deep canonical
       correlation analysis", ICML 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sewlearn import SEWRegressor
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(200, 2))
    >>> X_weak = z @ rng.normal(size=(2, 6)) + rng.normal(size=(200, 6))
    >>> X_strong = np.tanh(z @ rng.normal(size=(2, 4)))
    >>> y = z[:, 0]
    >>> sew = SEWRegressor(weak_hidden_layer_sizes=(16,), latent_dim=4,
    ...                    strong_hidden_layer_sizes=(8,), n_cca_components=2,
    ...                    optimizer="adam", lr=1e-2, max_epochs=5, random_state=0)
    >>> sew.fit(X_weak, y, X_strong=X_strong)
    SEWRegressor(...)
    >>> sew.predict(X_weak[:3]).shape
    (3,)
    >>> bool(sew.history_[-1, "train_alignment_loss"] < 0)
    True

    A sequence model: a GRU head over windows of 10 frames, never across the
    recordings that ``groups`` names (here four of 50 frames each).

    >>> groups = np.repeat([0, 1, 2, 3], 50)
    >>> seq = SEWRegressor(weak_hidden_layer_sizes=(16,), latent_dim=4,
    ...                    n_cca_components=2, head="gru", sequence_length=10,
    ...                    optimizer="adam", max_epochs=2, random_state=0)
    >>> seq.fit(X_weak, y, X_strong=X_strong, groups=groups)
    SEWRegressor(...)
    >>> seq.predict(X_weak, groups=groups).shape
    (200,)
    """

    _parameter_constraints = {
        **_BaseSEW._parameter_constraints,
        "prediction_loss": [StrOptions({"mse", "ccc"})],
        "standardize_target": ["boolean"],
    }

    @extends_signature(_BaseSEW.__init__)
    def __init__(self, *, prediction_loss="mse", standardize_target=True, **params):
        super().__init__(**params)
        self.prediction_loss = prediction_loss
        self.standardize_target = standardize_target

    def _validate_targets(self, X, y, allow_unlabeled):
        missing = None
        if allow_unlabeled:
            try:
                y_float = check_array(
                    y,
                    ensure_2d=False,
                    dtype=np.float64,
                    ensure_all_finite="allow-nan",
                    input_name="y",
                )
            except (TypeError, ValueError):
                y_float = None  # validate_data below says what is wrong
            if y_float is not None and np.isnan(y_float).any():
                missing = np.isnan(y_float)
                y = np.where(missing, 0.0, y_float)  # validated below as a full y
        with _name_non_numeric(X=X, y=y):
            try:
                X, y = validate_data(
                    self,
                    X,
                    y,
                    multi_output=True,
                    y_numeric=True,
                    dtype=(np.float64, np.float32),
                    ensure_min_samples=2,
                )
            except ValueError as exc:
                if "Input y contains NaN" in str(exc):
                    raise ValueError(
                        f"{exc} NaN marks an unlabeled row, which SEWRegressor "
                        "can use only with X_strong (its strong-side losses need "
                        "no label): pass X_strong, or drop the rows without a "
                        "target."
                    ) from exc
                raise
        if y.dtype.kind not in "biuf":
            raise ValueError(f"y must be numeric, got an array of dtype {y.dtype}.")
        self._y_1d = y.ndim == 1
        y = y.reshape(len(y), -1).astype(np.float64)
        self.n_outputs_ = self._n_head = y.shape[1]
        if missing is not None:
            missing = missing.reshape(y.shape)
            y[missing] = np.nan
            empty = np.flatnonzero(missing.all(axis=0))
            if empty.size and not missing.all():
                raise ValueError(
                    f"y has no label in output(s) {empty.tolist()}: every target "
                    "of the column is NaN (unlabeled), so its output would not "
                    "be trained. Each output needs at least one labeled row."
                )
        y = self._scale_targets(y).astype(np.float32)
        if missing is None:
            return X, y, None
        labeled = ~missing.all(axis=1)
        if not labeled.any():
            raise ValueError(
                "y has no labeled row: every target is NaN (unlabeled). At least "
                "one row needs a target."
            )
        return X, y, labeled

    def _scale_targets(self, y):
        """``y`` (2-D, NaN where unlabeled) standardised per column if asked.

        Sets ``target_mean_`` and ``target_scale_`` (0 and 1 without
        ``standardize_target``), which :meth:`predict` inverts. Statistics are
        those of the labeled entries; a constant column keeps scale 1, as in
        :class:`~sklearn.preprocessing.StandardScaler`.
        """
        n_outputs = y.shape[1]
        if self.standardize_target:
            # Per column, over its labeled entries: the same numbers as a fit
            # on those rows alone (bit for bit).
            known = [y[~np.isnan(y[:, j]), j] for j in range(n_outputs)]
            mean = np.array([col.mean() if col.size else 0.0 for col in known])
            scale = np.array([col.std() if col.size else 1.0 for col in known])
            # A constant column (up to rounding) keeps its units.
            scale[scale <= 10 * np.finfo(np.float64).eps * np.abs(mean)] = 1.0
        else:
            mean, scale = np.zeros(n_outputs), np.ones(n_outputs)
        self.target_mean_, self.target_scale_ = mean, scale
        return (y - mean) / scale

    @_weak_X_groups_doc
    def score(self, X, y, sample_weight=None, groups=None):
        """:math:`R^2` of ``predict(X, groups)`` on the labeled rows of ``y``.

        As :meth:`sklearn.base.RegressorMixin.score`, except that unlabeled
        targets (NaN) are left out: a row whose targets are all NaN is not
        scored, and with several targets each one is scored on the rows where
        it is known (then averaged uniformly), so that a cross-validation over
        a data set with unlabeled rows scores the labeled ones only.

        Parameters
        ----------
        %(X)s
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets, NaN where unknown.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        %(groups)s

        Returns
        -------
        score : float
            :math:`R^2` of the predictions on the labeled targets.
        """
        y = check_array(
            y, ensure_2d=False, ensure_all_finite="allow-nan", input_name="y"
        )
        _check_every_output_labeled(y)  # before predicting
        return _labeled_r2_score(y, self.predict(X, groups=groups), sample_weight)

    def _prediction_loss(self):
        return self.prediction_loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    @_weak_X_groups_doc
    def predict(self, X, groups=None):
        """Predict from the weak modality alone (``R(W_E(X))``).

        Parameters
        ----------
        %(X)s
        %(groups)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, one per row in the order of the rows, 1-D when ``y``
            was 1-D in ``fit``.
        """
        y_pred = self._forward(X, groups=groups)
        if self.standardize_target:
            y_pred = y_pred * self.target_scale_ + self.target_mean_
        return y_pred.ravel() if self._y_1d else y_pred


def _unlabeled_labels(y):
    """Rows of a class-label array that carry the unlabeled marker.

    -1 for numeric labels, the string "-1" for string labels (an object array
    may mix both); boolean labels cannot be unlabeled.
    """
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y == UNLABELED
    if y.dtype.kind in "US":
        return y == str(UNLABELED)
    if y.dtype.kind == "O":
        return np.fromiter(
            (
                v == str(UNLABELED)
                if isinstance(v, str)
                else (
                    isinstance(v, numbers.Number)
                    and not isinstance(v, bool)
                    and v == UNLABELED
                )
                for v in y
            ),
            dtype=bool,
            count=len(y),
        )
    return np.zeros(len(y), dtype=bool)


@Substitution(parameters=_PARAMETERS_DOC, attributes=_ATTRIBUTES_DOC)
class SEWClassifier(ClassifierMixin, _BaseSEW):
    """SEW classifier: train with two modalities, predict with one.

    The SEW network of :class:`SEWRegressor` with a classification head: ``R``
    outputs one logit per class and ``L_pr`` (eq. 8) is the cross-entropy. The
    paper's task head is "a regressor or classifier"; the classifier serves, for
    example, gesture or action recognition from RGB trained with depth.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    %(attributes)s
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    See Also
    --------
    SEWRegressor : The same network with a regression head.

    Examples
    --------
    >>> import numpy as np
    >>> from sewlearn import SEWClassifier
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(200, 2))
    >>> X_weak = z @ rng.normal(size=(2, 6)) + rng.normal(size=(200, 6))
    >>> X_strong = np.tanh(z @ rng.normal(size=(2, 4)))
    >>> y = np.where(z[:, 0] > 0, "positive", "negative")
    >>> clf = SEWClassifier(weak_hidden_layer_sizes=(16,), latent_dim=4,
    ...                     strong_hidden_layer_sizes=(8,), n_cca_components=2,
    ...                     optimizer="adam", lr=1e-2, max_epochs=5, random_state=0)
    >>> clf.fit(X_weak, y, X_strong=X_strong).classes_
    array(['negative', 'positive'], dtype=...)
    >>> clf.predict_proba(X_weak[:2]).shape
    (2, 2)
    """

    # Adam by default: on load_digits the paper's SGD recipe fell short of
    # MLPClassifier's defaults by -0.021 [-0.029, -0.013] accuracy (0/5 seeds),
    # Adam by -0.005 [-0.013, +0.003] (benchmarks/bench_defaults.py).
    @extends_signature(_BaseSEW.__init__)
    def __init__(self, *, optimizer="adam", **params):
        super().__init__(optimizer=optimizer, **params)

    def _validate_targets(self, X, y, allow_unlabeled):
        with _name_non_numeric(X=X):
            X, y = validate_data(
                self, X, y, dtype=(np.float64, np.float32), ensure_min_samples=2
            )
        if y.dtype.kind == "O":
            unlabeled = _unlabeled_labels(y)
            if unlabeled.any() and all(isinstance(v, str) for v in y[~unlabeled]):
                # String labels with the integer marker -1: one type for
                # check_classification_targets, which calls a mix "unknown".
                y = y.copy()
                y[unlabeled] = str(UNLABELED)
        check_classification_targets(y)
        unlabeled = _unlabeled_labels(y)
        if not unlabeled.any():
            encoder = LabelEncoder().fit(y)
            self.classes_ = encoder.classes_
            self._n_head = len(self.classes_)
            return X, encoder.transform(y), None
        if not allow_unlabeled:
            raise ValueError(
                f"y holds the unlabeled marker {UNLABELED!r} in "
                f"{int(unlabeled.sum())} rows. As in sklearn.semi_supervised, "
                f"{UNLABELED!r} (or '{UNLABELED}' for string labels) marks a row "
                "without a label, which SEWClassifier can use only with X_strong; "
                "pass X_strong, drop those rows, or recode a class named -1."
            )
        labeled = ~unlabeled
        if not labeled.any():
            raise ValueError(
                f"y has no labeled row: every label is the unlabeled marker "
                f"{UNLABELED!r}. At least one row needs a class."
            )
        encoder = LabelEncoder().fit(y[labeled])
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"y has a single class ({encoder.classes_[0]!r}) among its labeled "
                f"rows, and {int(unlabeled.sum())} rows marked unlabeled "
                f"({UNLABELED!r}). If -1 is a class of yours, recode it: -1 marks "
                "unlabeled rows, as in sklearn.semi_supervised."
            )
        self.classes_ = encoder.classes_
        self._n_head = len(self.classes_)
        codes = np.full(len(y), UNLABELED, dtype=np.int64)
        codes[labeled] = encoder.transform(y[labeled])
        return X, codes, labeled

    __metadata_request__predict_proba = {"groups": False}

    def _stratify(self, y):
        if self.early_stopping:
            # train_test_split would name the class code and speak of groups.
            counts = np.bincount(y[y >= 0], minlength=len(self.classes_))
            rare = self.classes_[counts < 2]
            if rare.size:
                raise ValueError(
                    "early_stopping=True holds out a validation set stratified "
                    "by class, which needs at least 2 labeled samples of each "
                    f"class; class(es) {rare.tolist()} have 1. Pass "
                    "early_stopping=False, or add samples of those classes."
                )
        return y

    @_weak_X_groups_doc
    def score(self, X, y, sample_weight=None, groups=None):
        """Accuracy of ``predict(X, groups)`` on the labeled rows of ``y``.

        As :meth:`sklearn.base.ClassifierMixin.score`, except that rows marked
        unlabeled (-1, or "-1" for string labels) are left out, so that a
        cross-validation over a data set with unlabeled rows scores the
        labeled ones only.

        Parameters
        ----------
        %(X)s
        y : array-like of shape (n_samples,)
            True labels, -1 (or "-1") where unknown.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        %(groups)s

        Returns
        -------
        score : float
            Mean accuracy on the labeled rows.
        """
        y = np.asarray(y)
        labeled = ~_unlabeled_labels(y)
        if not labeled.any():
            raise ValueError(
                "y has no labeled row: every label is -1 (unlabeled), there is "
                "nothing to score."
            )
        if labeled.all():
            return accuracy_score(
                y, self.predict(X, groups=groups), sample_weight=sample_weight
            )
        weight = None if sample_weight is None else np.asarray(sample_weight)[labeled]
        if self.sequence_length is not None:
            # The unlabeled frames stay: they are the past of the labeled ones.
            y_pred = self.predict(X, groups=groups)[labeled]
            return accuracy_score(y[labeled], y_pred, sample_weight=weight)
        check_groups(groups, len(y))  # its length, though unused
        return accuracy_score(
            y[labeled],
            self.predict(_safe_indexing(X, labeled)),
            sample_weight=weight,
        )

    def _prediction_loss(self):
        return "cross_entropy"

    def _target_tensor(self, y, device):
        return torch.as_tensor(y, dtype=torch.long, device=device)

    @_weak_X_groups_doc
    def predict_proba(self, X, groups=None):
        """Class probabilities from the weak modality alone.

        Parameters
        ----------
        %(X)s
        %(groups)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax of ``R(W_E(X))``, columns in the order of ``classes_``.
        """
        logits = self._forward(X, groups=groups)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    @_weak_X_groups_doc
    def predict(self, X, groups=None):
        """Predict class labels from the weak modality alone.

        Parameters
        ----------
        %(X)s
        %(groups)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The most probable class of each sample, in the order of the rows.
        """
        logits = self._forward(X, groups=groups)
        return self.classes_[np.argmax(logits, axis=1)]
