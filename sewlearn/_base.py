# License: BSD 3 clause
"""The base of the torch estimators: what SEW and DeepCCA do alike.

:class:`BaseTorchEstimator` owns the training parameters (their constraints
and docstring entries), the seeded train-then-prune of ``fit``, chunked
inference, the tags, pickling with CPU weights and the fitted state. The
estimators fix the network, its loss and their data.
"""

import contextlib
import copy
import inspect
import os
import sys
import warnings
from numbers import Integral, Real

import joblib
import numpy as np
import sklearn
import skorch
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state

from ._compat import Interval, StrOptions
from ._data import RandomValidSplit, TensorBatchIterator, WindowDataset, to_tensor
from ._modules import ACTIVATIONS
from ._net import (
    OPTIMIZERS,
    PREDICT_CHUNK,
    LossPartsNet,
    epoch_history,
    make_callbacks,
)
from ._parallel import torch_threads_for_task

__all__ = [
    "BaseTorchEstimator",
    "PARAMETER_DOCS",
    "check_layer_sizes",
    "extends_signature",
    "fitted_only_on_success",
    "seeded_torch",
    "warn_once_at_caller",
]

# The code between a user's call and a warning of ours: this package and the
# libraries that call its estimators (a Pipeline, a search, joblib).
_LIBRARY_DIRS = (
    os.path.dirname(__file__) + os.sep,
    *(
        os.path.dirname(module.__file__) + os.sep
        for module in (sklearn, joblib, skorch)
    ),
    contextlib.__file__,
)
# Messages already given in this process (see warn_once_at_caller).
_WARNED = set()


def _caller_stacklevel():
    """The ``stacklevel`` of the first frame outside the libraries above.

    Counted for a ``warnings.warn`` in the function that calls this one.
    """
    frame, level = sys._getframe(2), 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def warn_once_at_caller(message, category):
    """Warn ``message`` once per process, attributed to the user's line.

    The line is the first one outside sewlearn, scikit-learn, skorch and
    joblib (a user's ``fit``, ``GridSearchCV.fit`` or ``cross_validate``), so
    that the warning points at code the user wrote. A message given once is
    not given again in the same process (a grid search's clones share it);
    the category stays filterable as usual.
    """
    if message in _WARNED:
        return
    _WARNED.add(message)
    warnings.warn(message, category, stacklevel=_caller_stacklevel() + 1)


def check_layer_sizes(sizes, name):
    """``sizes`` as a tuple of positive ints; a ValueError naming ``name`` if not."""
    sizes = tuple(sizes)
    if not all(isinstance(s, Integral) and s > 0 for s in sizes):
        raise ValueError(f"{name} must hold positive integers, got {sizes!r}.")
    return tuple(int(s) for s in sizes)


@contextlib.contextmanager
def fitted_only_on_success(estimator):
    """Remove the fitted attributes (``name_``) set by a ``fit`` that raises.

    ``validate_data`` sets ``n_features_in_`` before training starts; a fit
    that fails later must not leave the estimator looking fitted (scikit-learn
    would then raise ``AttributeError`` instead of ``NotFittedError``).
    """
    try:
        yield
    except BaseException:
        for name in [k for k in vars(estimator) if k.endswith("_")]:
            delattr(estimator, name)
        raise


@contextlib.contextmanager
def seeded_torch(seed):
    """Seed torch's global generators for the block; restore all of them after.

    ``torch.manual_seed`` reseeds the CPU generator and every CUDA device's;
    ``fork_rng`` is told about every CUDA device so that each is restored and
    fitting leaves the caller's random streams as they were.
    """
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def _seed_from(random_state):
    """An int seed for torch, drawn from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def extends_signature(parent_init):
    """Decorate an ``__init__(self, *, <own>, **params)`` of a subclass.

    The decorated ``__init__`` passes ``params`` on to ``parent_init``; its
    signature becomes ``parent_init``'s followed by its own keyword-only
    parameters (one named as a parent's replaces it: a subclass's default),
    so that ``get_params``, ``clone`` and the docs see each parameter under
    its name, and the parent's list is written once.
    """

    def decorate(init):
        own = [
            p
            for p in inspect.signature(init).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]
        parent = inspect.signature(parent_init)
        # An own parameter of a parent's name replaces it (a new default), in
        # the parent's place.
        own_by_name = {p.name: p for p in own}
        merged = [own_by_name.pop(p.name, p) for p in parent.parameters.values()]
        init.__signature__ = parent.replace(parameters=[*merged, *own_by_name.values()])
        return init

    return decorate


# Entries of the parameters that every estimator documents alike, for
# sewlearn._docstring.Substitution; each estimator documents the others
# (defaults or meanings differ) itself.
PARAMETER_DOCS = {
    "lr": """
        lr : float, default=1e-3
            Learning rate.
        """,
    "max_epochs": """
        max_epochs : int, default=100
            Number of passes over the training data.
        """,
    "stopping": """
        validation_fraction : float, default=0.1
            Share of samples held out when ``early_stopping=True``.
        n_iter_no_change : int, default=10
            Patience of early stopping, in epochs.
        tol : float, default=1e-4
            Smallest improvement that counts for early stopping.
        """,
    "runtime": """
        device : str, default="cpu"
            Torch device to train and run the network on, e.g. "cuda".
        n_threads : int, "auto" or None, default="auto"
            Torch intra-op threads during ``fit``, ``predict`` and
            ``transform``; the previous setting is restored after each call.
            "auto": one thread for passes under ``2**31`` multiply-adds (rows
            per pass times the network's weights: the paper's network on
            batches under about 3,700 rows) and inside a Dask worker, torch's
            setting for larger passes; small networks are no faster with more,
            and far slower on a shared CPU (docs: "Scaling out"). An
            int: that many threads. None: torch's setting is left as it is.
        random_state : int, RandomState instance or None, default=None
            Seeds weight initialisation, shuffling and the validation split.
            An int gives the same weights and outputs on the same machine.
        verbose : int, default=0
            0: silent; 1: a table of the loss parts per epoch; 2: also a
            progress bar over the batches.
        """,
}


class BaseTorchEstimator(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Training, inference and persistence shared by the torch estimators.

    A subclass lists its parameters in ``__init__`` (then calls
    :meth:`_store_params`), validates its data and calls :meth:`_train` with
    its network, its loss and the inputs; it says what is kept after
    training (:meth:`_deploy`) and how wide ``transform``'s output is
    (``_n_features_out``).
    """

    _parameter_constraints = {
        "activation": [StrOptions(set(ACTIVATIONS))],
        "r1": [Interval(Real, 0, None, closed="neither")],
        "r2": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "n_threads": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # The validation loss early stopping watches, and the batch iterator.
    _monitor = "valid_prediction_loss"
    _iterator = TensorBatchIterator

    def _store_params(self, params):
        """Store the arguments of ``__init__`` (its ``locals()``) unchanged."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # -- fitting -------------------------------------------------------------
    def _fit(self, *args):
        """``_fit_unguarded(*args)``; a fit that raises leaves no fitted state."""
        with fitted_only_on_success(self):
            return self._fit_unguarded(*args)

    def _fit_unguarded(self, *args):
        raise NotImplementedError

    def _target_tensor(self, y, device):
        """The training target as a tensor (None when there is none)."""
        return None if y is None else to_tensor(y, device)

    def _deploy(self, module):
        """What of the trained module is kept as ``module_``."""
        return module

    def _train(
        self,
        inputs,
        target,
        *,
        module,
        module_params,
        criterion,
        criterion_params,
        parts,
        labeled=None,
        stratify=None,
        windows=None,
    ):
        """Seeded train-then-prune: train the network, keep what ``_deploy`` says.

        ``inputs`` (a dict of float arrays, the keyword arguments of
        ``module.forward``) and ``target`` go to the training device whole;
        torch is seeded from ``random_state`` for the training only. With
        ``windows``, ``(starts, length)``, the samples are windows of frames
        (:class:`~sewlearn._data.WindowDataset`), and ``labeled`` and
        ``stratify`` are per window. Sets
        ``module_`` (in eval mode, without gradients), ``history_`` (epoch
        rows only) and ``n_iter_``; the optimizer and the training-only blocks
        are not kept.
        """
        seed = _seed_from(self.random_state)
        device = torch.device(self.device)
        tensors = {name: to_tensor(array, device) for name, array in inputs.items()}
        target = self._target_tensor(target, device)
        if windows is not None:  # a sequence model: the dataset holds the target
            tensors, target = WindowDataset(tensors, target, *windows), None
        with seeded_torch(seed):
            net = LossPartsNet(
                module=module,
                criterion=criterion,
                # Initialised here, so that the threads can be chosen for the
                # network; fit then trains it (warm_start: no second init).
                warm_start=True,
                **self._net_params(parts, seed, labeled=labeled, stratify=stratify),
                **{f"module__{k}": v for k, v in module_params.items()},
                **{f"criterion__{k}": v for k, v in criterion_params.items()},
            )
            net.initialize()
            # Rows per training step: a batch of samples, or of windows of
            # frames.
            n_samples = len(next(iter(inputs.values())))
            if windows is None:
                rows = min(self.batch_size, n_samples)
            else:
                starts, length = windows
                rows = min(self.batch_size, len(starts)) * length
            with self._torch_threads(net.module_, rows):
                net.fit(tensors, target)
        self.module_ = self._deploy(net.module_).eval()
        self.module_.requires_grad_(False)
        self.history_ = epoch_history(net.history)
        self.n_iter_ = len(self.history_)

    def _net_params(self, parts, seed, *, labeled=None, stratify=None):
        """The ``NeuralNet`` arguments that the training parameters give.

        The optimizer, the whole-tensor batch iterators, the validation split
        (``labeled`` and ``stratify`` go to :class:`RandomValidSplit`) and the
        callbacks that record ``parts`` and stop early on ``_monitor``.
        """
        # foreach: one fused call per step for all parameters instead of a
        # Python loop over them, with the same arithmetic (bit for bit); torch
        # does not pick it by default on the CPU.
        optimizer_kwargs = {"weight_decay": self.weight_decay, "foreach": True}
        if self.optimizer == "sgd":
            optimizer_kwargs["momentum"] = self.momentum
        return dict(
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=self._iterator,
            iterator_valid=self._iterator,
            iterator_train__shuffle=True,
            train_split=(
                RandomValidSplit(
                    self.validation_fraction, seed, labeled=labeled, stratify=stratify
                )
                if self.early_stopping
                else None
            ),
            callbacks=make_callbacks(
                parts,
                validation=self.early_stopping,
                early_stopping=self.early_stopping,
                patience=self.n_iter_no_change,
                tol=self.tol,
                verbose=self.verbose,
                monitor=self._monitor,
            ),
            device=self.device,
            verbose=self.verbose,
            **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
        )

    # -- torch threads ---------------------------------------------------------
    def _torch_threads(self, module, rows):
        """A context: torch's intra-op threads per ``n_threads``, restored after.

        For passes of ``rows`` rows through ``module``: ``"auto"`` decides from
        their multiply-adds, about ``rows`` times ``module``'s weights
        (:func:`~sewlearn._parallel.auto_torch_threads`). Estimators pickled
        before ``n_threads`` existed behave as ``"auto"``.
        """
        n_threads = getattr(self, "n_threads", "auto")
        if n_threads is None:
            return contextlib.nullcontext(torch.get_num_threads())
        work = rows * sum(p.numel() for p in module.parameters())
        return torch_threads_for_task(n_threads, work=work)

    # -- inference -----------------------------------------------------------
    def _chunked(self, block, X):
        """``block`` run on the rows of ``X``, ``PREDICT_CHUNK`` rows at a time.

        The rows go in the dtype of ``block``'s weights; the outputs come back
        as one NumPy array of that dtype. torch's threads follow ``n_threads``
        (:meth:`_torch_threads`) for the call.
        """
        weight = next(block.parameters())
        dtype = torch.empty(0, dtype=weight.dtype).numpy().dtype
        chunks = []
        n_rows = min(X.shape[0], PREDICT_CHUNK)
        with self._torch_threads(block, n_rows), torch.inference_mode():
            for start in range(0, X.shape[0], PREDICT_CHUNK):
                rows = np.require(
                    X[start : start + PREDICT_CHUNK], dtype=dtype, requirements="W"
                )
                out = block(torch.from_numpy(rows).to(weight.device))
                chunks.append(out.cpu().numpy())
        return np.concatenate(chunks)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "module_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        return tags

    # -- pickling ------------------------------------------------------------
    def __getstate__(self):
        """Pickle a fitted ``module_`` with CPU weights.

        A model fitted with ``device="cuda"`` then loads on a CPU-only machine
        (it stays on the CPU there) and returns to the GPU where one is
        available (:meth:`__setstate__`).
        """
        state = super().__getstate__()
        module = state.get("module_")
        if module is not None and next(module.parameters()).device.type != "cpu":
            state["module_"] = copy.deepcopy(module).cpu()
        return state

    def __setstate__(self, state):
        # Pickled before the parameter existed: its default.
        state = {"n_threads": "auto", **state}
        super().__setstate__(state)
        module = self.__dict__.get("module_")
        device = torch.device(self.device)
        if module is not None and device.type == "cuda" and torch.cuda.is_available():
            self.module_ = module.to(device)
