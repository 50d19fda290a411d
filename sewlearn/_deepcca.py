# License: BSD 3 clause
"""Deep CCA (Andrew et al., 2013) as a two-view scikit-learn transformer."""

from numbers import Integral

import numpy as np
import torch
from scipy import linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from torch import nn

from ._compat import FLOAT_DTYPES, Interval, StrOptions, _fit_context
from ._losses import ALIGNMENTS, alignment_objective
from ._modules import ACTIVATIONS, make_mlp
from ._net import (
    _PREDICT_CHUNK,
    TRAINING_CONSTRAINTS,
    CPUPicklingMixin,
    LossPartsNet,
    TensorBatchIterator,
    _check_layer_sizes,
    _seed_from,
    _to_tensor,
    epoch_history,
    fitted_only_on_success,
    seeded_torch,
    training_params,
)

__all__ = ["DeepCCA"]

# Width of the encoders' output when ``latent_dim=None``, unless n_components
# is larger.
_DEFAULT_LATENT_DIM = 10


def _standardise(a):
    """Column means and standard deviations (ddof=1, as CCA); 1 for constant ones."""
    mean = a.mean(axis=0)
    std = a.std(axis=0, ddof=1) if len(a) > 1 else np.ones(a.shape[1])
    std[std == 0.0] = 1.0
    return mean, std


def _linear_cca(hx, hy, *, n_components, r1, r2):
    """Closed-form regularised CCA of two code matrices (float64).

    The same quantities as :func:`sewlearn._cca.canonical_correlations` (eqs.
    5-7), with the canonical directions: with ``Sxx = Lx Lx^T`` and
    ``Syy = Ly Ly^T``, the SVD ``Lx^{-1} Sxy Ly^{-T} = U diag(s) V^T`` gives
    ``Wx = Lx^{-T} U`` and ``Wy = Ly^{-T} V``, so that ``Wx^T Sxx Wx = I``,
    ``Wy^T Syy Wy = I`` and ``Wx^T Sxy Wy = diag(s)``.

    Returns
    -------
    x_mean, y_mean : ndarray of shape (dx,), (dy,)
    x_rotations, y_rotations : ndarray of shape (dx, k), (dy, k)
    correlations : ndarray of shape (k,)
        The top ``k = n_components`` singular values ``s``, decreasing.
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


def _paired_correlations(a, b):
    """Pearson correlation of each column of ``a`` with the same column of ``b``.

    A constant column has correlation 0 with anything.
    """
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    norm = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    cov = (a * b).sum(axis=0)
    return np.divide(cov, norm, out=np.zeros_like(cov), where=norm > 0)


class _EvenBatchIterator(TensorBatchIterator):
    """Batches of nearly equal size, none much smaller than ``batch_size``.

    The CCA objective is estimated from each batch, and a small remainder
    batch (say 3 samples for codes of width 10) has canonical correlations of
    about 1 whatever the weights: it would add noise, not signal. So the
    samples are cut into ``ceil(n / batch_size)`` batches whose sizes differ
    by at most one.
    """

    def __iter__(self):
        n = len(self.dataset)
        n_batches = len(self)
        bounds = [(n * i) // n_batches for i in range(n_batches + 1)]
        if self.shuffle:
            device = next(iter(self.dataset.X.values())).device
            order = torch.randperm(n, device=device)  # no host-device copy
            for start, stop in zip(bounds[:-1], bounds[1:]):
                yield self.dataset.take(order[start:stop])
        else:
            for start, stop in zip(bounds[:-1], bounds[1:]):
                yield self.dataset.take(slice(start, stop))


class DeepCCAModule(nn.Module):
    """The two encoders of Deep CCA, one per view, in one module.

    One module, so that ``EarlyStopping(load_best=True)`` restores both.
    """

    def __init__(
        self, *, n_features_x, n_features_y, x_hidden, y_hidden, latent_dim, activation
    ):
        super().__init__()
        self.x_encoder = make_mlp([n_features_x, *x_hidden, latent_dim], activation)
        self.y_encoder = make_mlp([n_features_y, *y_hidden, latent_dim], activation)

    def forward(self, x, y):
        return {"x_code": self.x_encoder(x), "y_code": self.y_encoder(y)}


class DeepCCALoss(nn.Module):
    """Minus the sum of the top-K canonical correlations of the codes (eqs. 4-7).

    Returns ``(total, parts)`` for :class:`sewlearn._net.LossPartsNet`; the one
    part is the alignment loss ``L_al`` of the SEW paper.
    """

    def __init__(self, *, n_components, r1, r2, objective="cca"):
        super().__init__()
        self.n_components, self.r1, self.r2 = n_components, r1, r2
        self.objective = objective

    def _loss(self, x_code, y_code):
        return alignment_objective(
            self.objective,
            x_code,
            y_code,
            n_components=self.n_components,
            r1=self.r1,
            r2=self.r2,
        )

    def forward(self, out, target=None):
        loss = self._loss(out["x_code"], out["y_code"])
        return loss, {"alignment_loss": loss}

    @torch.no_grad()
    def alignment_chance(self, out):
        """The loss with the rows of ``y`` rolled by one: mismatched pairs."""
        return self._loss(out["x_code"], out["y_code"].roll(1, dims=0))


class DeepCCA(
    CPUPicklingMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Deep canonical correlation analysis of two views.

    Two neural networks, one per view, are trained so that their outputs
    (codes) are maximally correlated: the loss is minus the sum of the top
    ``n_components`` canonical correlations of the codes, estimated on each
    mini-batch (Andrew et al., 2013; the alignment loss ``L_al`` of SEW,
    eqs. 4-7). After training, a linear CCA is fitted in closed form on the
    codes of the whole training set, so that the outputs are canonical
    variates: uncorrelated within each view, paired across views, in order of
    decreasing correlation. Training runs through skorch.

    It is called like :class:`sklearn.cross_decomposition.CCA`: ``fit(X, y)``
    with ``y`` the second view, ``transform(X)`` or ``transform(X, y)``.

    Parameters
    ----------
    n_components : int, default=2
        Number of canonical variates kept, and K, the number of canonical
        correlations summed by the training loss. At most ``latent_dim``.
    x_hidden_layer_sizes : tuple of int, default=(256, 256)
        Hidden layers of the encoder of ``X``.
    y_hidden_layer_sizes : tuple of int, default=(256, 256)
        Hidden layers of the encoder of ``y``.
    latent_dim : int or None, default=None
        Width of each encoder's output (the ``o`` of Andrew et al., which must
        be at least K). None means ``max(n_components, 10)``: a few more
        outputs than canonical variates let the networks keep directions that
        the final linear CCA may still use; with ``latent_dim=n_components``
        the loss is the total correlation of all outputs, as in Andrew et al.
    activation : {"tanh", "relu", "logistic", "identity"}, default="tanh"
        Activation between linear layers; each encoder's output is linear.
    objective : {"cca", "ey"}, default="cca"
        The training loss. "cca": minus the sum of the top ``n_components``
        canonical correlations of each batch's codes (Andrew et al.). "ey":
        the Eckart-Young loss of Chapman et al. (2024) on all ``latent_dim``
        outputs, whose gradient is unbiased at any batch size and which needs
        no ridge or inverse; its optimum is minus the sum of the squared top
        ``latent_dim`` canonical correlations (see the user guide for when to
        pick it). The final linear CCA and ``score`` are the same for both.
    r1, r2 : float, default=1e-3
        Ridge added to the covariance of the codes of ``X`` (``r1``) and of
        ``y`` (``r2``), in the "cca" loss (eqs. 6-7) and in the final linear
        CCA. (In :class:`SEWRegressor`, ``r1`` is the strong view's ridge and
        ``r2`` the weak view's, ``X``'s.)
    optimizer : {"adam", "sgd"}, default="adam"
        Optimiser of both encoders.
    lr : float, default=1e-3
        Learning rate.
    momentum : float, default=0.9
        SGD momentum; ignored by Adam.
    weight_decay : float, default=1e-5
        L2 weight decay.
    batch_size : int, default=256
        Mini-batch size. The canonical correlations are estimated from each
        batch, with a bias that grows as the batch shrinks towards
        ``latent_dim`` (a batch no wider than the codes is perfectly
        correlated whatever the weights), so Deep CCA wants large batches:
        Andrew et al. used the full batch, Wang et al. (2015) showed that
        batches of a few hundred work. The samples are cut into batches of
        nearly equal size, so no small remainder batch occurs; a
        ``batch_size`` larger than the training set trains full-batch.
    max_epochs : int, default=100
        Number of passes over the training data.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples (at random) and stop
        when the validation alignment loss (computed in batches of
        ``batch_size``, like the training loss) has not improved by ``tol``
        for ``n_iter_no_change`` epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of samples held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest improvement that counts for early stopping.
    scale : bool, default=True
        Whether to standardise each feature of ``X`` and ``y`` (with the
        training means and standard deviations), as
        :class:`~sklearn.cross_decomposition.CCA` does.
    device : str, default="cpu"
        Torch device to train and transform on, e.g. "cuda".
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split.
        An int gives the same weights and outputs on the same machine.
    verbose : int, default=0
        0: silent; 1: a table of the losses per epoch; 2: also a progress
        bar over the batches.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained encoders ``module_.x_encoder`` and ``module_.y_encoder``,
        in eval mode.
    canonical_correlations_ : ndarray of shape (n_components,)
        The canonical correlations on the training data, in decreasing order,
        each in ``[0, 1]``: the correlation of each pair of output columns of
        ``transform(X, y)``. Their mean is ``score(X, y)`` on the training
        data.
    x_code_mean_, y_code_mean_ : ndarray of shape (latent_dim,)
        Training means of the codes of each view.
    x_code_rotations_, y_code_rotations_ : ndarray of shape \
            (latent_dim, n_components)
        The final linear CCA: ``transform`` returns ``(code - mean) @
        rotations`` for each view.
    history_ : skorch.history.History
        Per epoch: ``train_loss`` and ``train_alignment_loss`` (minus the sum
        of the top ``n_components`` canonical correlations, averaged over the
        batches), and ``valid_*`` with early stopping, e.g.
        ``history_[:, "train_alignment_loss"]``.
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features of ``X``, when ``X`` has string column names.
    n_features_y_ : int
        Number of features of ``y`` (the second view) seen in ``fit``.

    See Also
    --------
    sklearn.cross_decomposition.CCA : Linear canonical correlation analysis.
    SEWRegressor : Uses the same CCA loss to align a weak modality's code with
        a strong modality's.

    References
    ----------
    .. [1] G. Andrew, R. Arora, J. Bilmes, K. Livescu, "Deep canonical
       correlation analysis", ICML 2013.
    .. [2] W. Wang, R. Arora, K. Livescu, J. Bilmes, "On deep multi-view
       representation learning", ICML 2015.
    .. [3] V. Rajan, A. Brutti, A. Cavallaro, "Robust latent representations
       via cross-modal translation and alignment", ICASSP 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sewlearn import DeepCCA
    >>> rng = np.random.default_rng(0)
    >>> z = rng.uniform(-1, 1, size=(300, 2))
    >>> X = np.column_stack([z**2, rng.normal(size=(300, 3))])
    >>> Y = z @ rng.normal(size=(2, 4))
    >>> dcca = DeepCCA(n_components=2, x_hidden_layer_sizes=(32,),
    ...                y_hidden_layer_sizes=(32,), lr=1e-2, max_epochs=20,
    ...                random_state=0)
    >>> dcca.fit(X, Y)
    DeepCCA(...)
    >>> X_c, Y_c = dcca.transform(X, Y)
    >>> X_c.shape, Y_c.shape
    ((300, 2), (300, 2))
    >>> dcca.get_feature_names_out()
    array(['deepcca0', 'deepcca1'], dtype=object)
    >>> bool(dcca.score(X, Y) > 0.5)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "x_hidden_layer_sizes": ["array-like"],
        "y_hidden_layer_sizes": ["array-like"],
        "latent_dim": [Interval(Integral, 1, None, closed="left"), None],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "objective": [StrOptions(set(ALIGNMENTS))],
        **TRAINING_CONSTRAINTS,
        "scale": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_components=2,
        x_hidden_layer_sizes=(256, 256),
        y_hidden_layer_sizes=(256, 256),
        latent_dim=None,
        activation="tanh",
        objective="cca",
        r1=1e-3,
        r2=1e-3,
        optimizer="adam",
        lr=1e-3,
        momentum=0.9,
        weight_decay=1e-5,
        batch_size=256,
        max_epochs=100,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        scale=True,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.x_hidden_layer_sizes = x_hidden_layer_sizes
        self.y_hidden_layer_sizes = y_hidden_layer_sizes
        self.latent_dim = latent_dim
        self.activation = activation
        self.objective = objective
        self.r1 = r1
        self.r2 = r2
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.scale = scale
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- training ------------------------------------------------------------
    def _latent_dim(self):
        if self.latent_dim is None:
            return max(self.n_components, _DEFAULT_LATENT_DIM)
        if self.n_components > self.latent_dim:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"latent_dim={self.latent_dim}: each encoder has latent_dim "
                "outputs."
            )
        return self.latent_dim

    def _build_net(self, n_features_x, n_features_y, latent_dim, seed):
        return LossPartsNet(
            module=DeepCCAModule,
            module__n_features_x=n_features_x,
            module__n_features_y=n_features_y,
            module__x_hidden=_check_layer_sizes(
                self.x_hidden_layer_sizes, "x_hidden_layer_sizes"
            ),
            module__y_hidden=_check_layer_sizes(
                self.y_hidden_layer_sizes, "y_hidden_layer_sizes"
            ),
            module__latent_dim=latent_dim,
            module__activation=self.activation,
            criterion=DeepCCALoss,
            criterion__n_components=self.n_components,
            criterion__r1=self.r1,
            criterion__r2=self.r2,
            criterion__objective=self.objective,
            **training_params(
                self,
                parts=("alignment_loss",),
                seed=seed,
                monitor="valid_alignment_loss",
                iterator=_EvenBatchIterator,
            ),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train both encoders, then fit a linear CCA on their training codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The first view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            The second view, paired row by row with ``X``; a 1-D ``y`` is
            one feature.

        Returns
        -------
        self : DeepCCA
            The fitted estimator.
        """
        with fitted_only_on_success(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=FLOAT_DTYPES,
            ensure_min_samples=2,
        )
        y = y.reshape(len(y), -1)
        latent_dim = self._latent_dim()
        self.n_features_y_ = y.shape[1]
        if self.scale:
            self._x_mean, self._x_std = _standardise(X)
            self._y_mean, self._y_std = _standardise(y)
        else:
            self._x_mean, self._x_std = 0.0, 1.0
            self._y_mean, self._y_std = 0.0, 1.0

        seed = _seed_from(self.random_state)
        device = torch.device(self.device)
        inputs = {
            "x": _to_tensor((X - self._x_mean) / self._x_std, device),
            "y": _to_tensor((y - self._y_mean) / self._y_std, device),
        }
        with seeded_torch(seed):
            net = self._build_net(X.shape[1], y.shape[1], latent_dim, seed)
            net.fit(inputs, None)

        # Keep the encoders only: no optimizer, no per-batch history. They run
        # in float64 from now on: the float32 weights are cast exactly, and
        # the outputs then do not depend, to float32 rounding, on how many
        # rows are transformed at once (the final whitening amplifies it).
        self.module_ = net.module_.double().eval()
        self.module_.requires_grad_(False)
        self.history_ = epoch_history(net.history)
        self.n_iter_ = len(self.history_)

        # Andrew et al.: a linear CCA of the final codes on the training set
        # gives the canonical variates, in decreasing order of correlation.
        x_codes = self._encode(self.module_.x_encoder, X, self._x_mean, self._x_std)
        y_codes = self._encode(self.module_.y_encoder, y, self._y_mean, self._y_std)
        x_mean, y_mean, x_rot, y_rot, _ = _linear_cca(
            x_codes, y_codes, n_components=self.n_components, r1=self.r1, r2=self.r2
        )
        # The ridge shrinks the singular values a little below the correlations
        # they stand for; report (and order by) the plain correlations of the
        # training outputs, so that score(X_train, y_train) is their mean.
        corr = _paired_correlations(
            (x_codes - x_mean) @ x_rot, (y_codes - y_mean) @ y_rot
        )
        order = np.argsort(-corr, kind="stable")
        self.x_code_mean_, self.y_code_mean_ = x_mean, y_mean
        self.x_code_rotations_ = x_rot[:, order]
        self.y_code_rotations_ = y_rot[:, order]
        self.canonical_correlations_ = corr[order]
        self._n_features_out = self.n_components
        return self

    # -- inference -----------------------------------------------------------
    def _encode(self, encoder, a, mean, std):
        """Codes of the rows of ``a`` (standardised first), in float64."""
        a = np.asarray((a - mean) / std, dtype=np.float64)
        device = next(encoder.parameters()).device
        chunks = []
        with torch.inference_mode():
            for start in range(0, a.shape[0], _PREDICT_CHUNK):
                chunk = torch.from_numpy(a[start : start + _PREDICT_CHUNK]).to(device)
                chunks.append(encoder(chunk).cpu().numpy())
        return np.concatenate(chunks)

    def _transform_x(self, X):
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        codes = self._encode(self.module_.x_encoder, X, self._x_mean, self._x_std)
        return (codes - self.x_code_mean_) @ self.x_code_rotations_

    def _transform_y(self, y):
        y = check_array(y, input_name="y", ensure_2d=False, dtype=FLOAT_DTYPES)
        y = y.reshape(len(y), -1)
        if y.shape[1] != self.n_features_y_:
            raise ValueError(
                f"y has {y.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_y_} features as input."
            )
        codes = self._encode(self.module_.y_encoder, y, self._y_mean, self._y_std)
        return (codes - self.y_code_mean_) @ self.y_code_rotations_

    def transform(self, X, y=None):
        """Canonical variates of ``X``, and of ``y`` when it is given.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The first view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y), \
                default=None
            The second view, paired row by row with ``X``.

        Returns
        -------
        X_c : ndarray of shape (n_samples, n_components)
            ``X``'s canonical variates, when ``y`` is None.
        (X_c, y_c) : tuple of ndarray of shape (n_samples, n_components)
            Both views' canonical variates, when ``y`` is given; column ``k``
            of ``X_c`` is paired with column ``k`` of ``y_c``.
        """
        check_is_fitted(self)
        X_c = self._transform_x(X)
        if y is None:
            return X_c
        check_consistent_length(X, y)
        return X_c, self._transform_y(y)

    def fit_transform(self, X, y=None):
        """Fit, then return both views' canonical variates on the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The first view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            The second view; required (``None`` raises).

        Returns
        -------
        (X_c, y_c) : tuple of ndarray of shape (n_samples, n_components)
            As :meth:`transform` with ``y``, and as
            :meth:`sklearn.cross_decomposition.CCA.fit_transform`.
        """
        return self.fit(X, y).transform(X, y)

    def score(self, X, y):
        """Mean canonical correlation of a (held-out) pair of views.

        The Pearson correlation of each pair of output columns of
        ``transform(X, y)``, averaged over the ``n_components`` pairs; higher
        is better, at most 1. On the training data it is
        ``canonical_correlations_.mean()``. As the default score it makes
        ``GridSearchCV`` select by held-out correlation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The first view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            The second view.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        check_consistent_length(X, y)
        X_c, y_c = self._transform_x(X), self._transform_y(y)
        return float(_paired_correlations(X_c, y_c).mean())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
