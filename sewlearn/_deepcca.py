# License: BSD 3 clause
"""Deep CCA (Andrew et al., 2013) as a two-view scikit-learn transformer."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._base import PARAMETER_DOCS, BaseTorchEstimator, check_layer_sizes
from ._cca import linear_cca
from ._compat import FLOAT_DTYPES, Interval, StrOptions, _fit_context
from ._data import EvenBatchIterator
from ._docstring import Substitution
from ._losses import ALIGNMENTS, DeepCCALoss
from ._modules import DeepCCAModule

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


def _paired_correlations(a, b):
    """Pearson correlation of each column of ``a`` with the same column of ``b``.

    A constant column has correlation 0 with anything.
    """
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    norm = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    cov = (a * b).sum(axis=0)
    return np.divide(cov, norm, out=np.zeros_like(cov), where=norm > 0)


@Substitution(**PARAMETER_DOCS)
class DeepCCA(BaseTorchEstimator):
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

    The parameters shared with :class:`SEWRegressor` and
    :class:`SEWClassifier` have the same names, except where scikit-learn's
    name or the other view's role differs: ``n_components`` here is their
    ``n_cca_components`` (K), ``objective`` their ``alignment``, and ``r1``,
    ``r2`` are the ridges of ``X`` and ``y`` here, of the strong and the weak
    (``X``) code there.

    Parameters
    ----------
    n_components : int, default=2
        Number of canonical variates kept, and K, the number of canonical
        correlations summed by the training loss (``n_cca_components`` in
        :class:`SEWRegressor`, the name of scikit-learn's
        :class:`~sklearn.cross_decomposition.CCA` here). At most
        ``latent_dim``.
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
        The training loss (``alignment`` in :class:`SEWRegressor`, where it
        is one term of the loss). "cca": minus the sum of the top
        ``n_components`` canonical correlations of each batch's codes (Andrew
        et al.). "ey": the Eckart-Young loss of Chapman et al. (2024) on all
        ``latent_dim`` outputs, whose gradient is unbiased at any batch size
        and which needs no ridge or inverse; its optimum is minus the sum of
        the squared top ``latent_dim`` canonical correlations (see the user
        guide for when to pick it). The final linear CCA and ``score`` are the
        same for both.
    r1, r2 : float, default=1e-3
        Ridge added to the covariance of the codes of ``X`` (``r1``) and of
        ``y`` (``r2``), in the "cca" loss (eqs. 6-7) and in the final linear
        CCA. (In :class:`SEWRegressor`, ``r1`` is the strong view's ridge and
        ``r2`` the weak view's, ``X``'s.)
    optimizer : {"adam", "sgd"}, default="adam"
        Optimiser of both encoders.
    %(lr)s
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
    %(max_epochs)s
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples (at random) and stop
        when the validation alignment loss (computed in batches of
        ``batch_size``, like the training loss) has not improved by ``tol``
        for ``n_iter_no_change`` epochs; the best weights are restored.
    %(stopping)s
    scale : bool, default=True
        Whether to standardise each feature of ``X`` and ``y`` (with the
        training means and standard deviations), as
        :class:`~sklearn.cross_decomposition.CCA` does.
    %(runtime)s

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
        batches), ``train_alignment_chance`` (the loss of one batch of
        mismatched pairs) and ``valid_*`` with early stopping, e.g.
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

    Notes
    -----
    DeepCCA is frame-wise and has no ``sequence_length``, unlike the SEW
    estimators. Its product is a per-frame transform: a sequence version
    would need recurrent encoders for both views and ``groups`` at
    ``transform`` time, which a Pipeline passes only with metadata routing,
    and the CCA objective would still correlate frames (those of a window
    flattened into rows, as SEW's alignment term does). To model time, feed
    DeepCCA's canonical variates to a sequence model, e.g.
    ``SEWRegressor(head="gru", sequence_length=...)``.

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
        **BaseTorchEstimator._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "x_hidden_layer_sizes": ["array-like"],
        "y_hidden_layer_sizes": ["array-like"],
        "latent_dim": [Interval(Integral, 1, None, closed="left"), None],
        "objective": [StrOptions(set(ALIGNMENTS))],
        "scale": ["boolean"],
    }
    _monitor = "valid_alignment_loss"
    _iterator = EvenBatchIterator

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
        n_threads="auto",
        random_state=None,
        verbose=0,
    ):
        self._store_params(locals())

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
        return self._fit(X, y)

    def _fit_unguarded(self, X, y):
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

        self._train(
            {
                "x": (X - self._x_mean) / self._x_std,
                "y": (y - self._y_mean) / self._y_std,
            },
            None,
            module=DeepCCAModule,
            module_params=dict(
                n_features_x=X.shape[1],
                n_features_y=y.shape[1],
                x_hidden=check_layer_sizes(
                    self.x_hidden_layer_sizes, "x_hidden_layer_sizes"
                ),
                y_hidden=check_layer_sizes(
                    self.y_hidden_layer_sizes, "y_hidden_layer_sizes"
                ),
                latent_dim=latent_dim,
                activation=self.activation,
            ),
            criterion=DeepCCALoss,
            criterion_params=dict(
                n_components=self.n_components,
                r1=self.r1,
                r2=self.r2,
                objective=self.objective,
            ),
            parts=("alignment_loss",),
        )

        # Andrew et al.: a linear CCA of the final codes on the training set
        # gives the canonical variates, in decreasing order of correlation.
        x_codes = self._encode(self.module_.x_encoder, X, self._x_mean, self._x_std)
        y_codes = self._encode(self.module_.y_encoder, y, self._y_mean, self._y_std)
        x_mean, y_mean, x_rot, y_rot, _ = linear_cca(
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
        return self

    def _deploy(self, module):
        # The encoders run in float64 from now on: the float32 weights are
        # cast exactly, and the outputs then do not depend, to float32
        # rounding, on how many rows are transformed at once (the final
        # whitening amplifies it).
        return module.double()

    # -- inference -----------------------------------------------------------
    @property
    def _n_features_out(self):
        """Number of canonical variates ``transform`` returns (for
        ``get_feature_names_out``); AttributeError before ``fit``."""
        return self.x_code_rotations_.shape[1]

    def _encode(self, encoder, a, mean, std):
        """Codes of the rows of ``a`` (standardised first), in float64."""
        return self._chunked(encoder, np.asarray((a - mean) / std, dtype=np.float64))

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
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
