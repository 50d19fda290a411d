# License: BSD 3 clause
"""skorch plumbing shared by the sewlearn estimators.

skorch's default data path indexes a ``Dataset`` one sample at a time and
collates the samples back into a batch; for the small dense networks of SEW
that per-sample work costs more than the step itself. Here the data stay
whole tensors (on the training device) and each batch is one slice or one
gather, while everything else (callbacks, history, early stopping, printing)
is skorch's own.
"""

import contextlib
import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import get_len
from skorch.history import History

from ._compat import Interval, StrOptions

__all__ = [
    "CPUPicklingMixin",
    "TensorDictDataset",
    "TensorBatchIterator",
    "RandomValidSplit",
    "LossPartsNet",
    "make_callbacks",
    "TRAINING_CONSTRAINTS",
    "training_params",
    "epoch_history",
]


class TensorDictDataset(torch.utils.data.Dataset):
    """A dict of equally long tensors (the model inputs) and an optional target."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = y
        self.n_samples = len(next(iter(X.values())))

    def __len__(self):
        return self.n_samples

    def __getitem__(self, i):
        return self.take(i)

    def take(self, index):
        """Rows ``index`` (an int, a slice or an index tensor) as ``(X, y)``."""
        Xi = {k: v[index] for k, v in self.X.items()}
        return Xi, (None if self.y is None else self.y[index])

    def subset(self, index):
        return TensorDictDataset(*self.take(index))


class TensorBatchIterator:
    """Batches of a :class:`TensorDictDataset` by slicing, without a DataLoader.

    Takes the arguments skorch passes to ``iterator_train`` /
    ``iterator_valid``. Shuffling draws from torch's global generator, which
    the estimators seed from ``random_state``.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, **kwargs):
        if not isinstance(dataset, TensorDictDataset):
            raise TypeError("TensorBatchIterator needs a TensorDictDataset.")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            device = next(iter(self.dataset.X.values())).device
            order = torch.randperm(n, device=device)  # no host-device copy
            for start in range(0, n, self.batch_size):
                yield self.dataset.take(order[start : start + self.batch_size])
        else:
            for start in range(0, n, self.batch_size):
                yield self.dataset.take(slice(start, start + self.batch_size))


class RandomValidSplit:
    """Hold out a random ``fraction`` of the samples for validation.

    Parameters
    ----------
    fraction : float
        Share of the (labeled) samples held out.
    random_state : int
        Seed of the draw.
    labeled : ndarray of bool of shape (n_samples,), default=None
        Which rows carry a label. When given, the validation rows are drawn
        from the labeled rows only (``fraction`` of them) and every unlabeled
        row stays in training: the validation prediction loss that early
        stopping watches needs labels.
    stratify : ndarray of shape (n_samples,), default=None
        Class of each row: the held-out rows keep the class proportions, as
        :class:`~sklearn.neural_network.MLPClassifier` does.
    """

    def __init__(self, fraction, random_state, *, labeled=None, stratify=None):
        self.fraction = fraction
        self.random_state = random_state
        self.labeled = labeled
        self.stratify = stratify

    def __call__(self, dataset, y=None, **fit_params):
        n = len(dataset)
        candidates = (
            np.arange(n) if self.labeled is None else np.flatnonzero(self.labeled)
        )
        n_valid = max(1, int(round(self.fraction * len(candidates))))
        if n - n_valid < 2 or len(candidates) - n_valid < 1:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves too few training "
                f"samples: {n_valid} of {len(candidates)} labeled samples would "
                "be held out."
            )
        if self.labeled is None and self.stratify is None:
            perm = np.random.default_rng(self.random_state).permutation(n)
            valid_index, train_index = perm[:n_valid], perm[n_valid:]
        else:
            rest, valid_index = train_test_split(
                candidates,
                test_size=n_valid,
                random_state=self.random_state,
                stratify=None if self.stratify is None else self.stratify[candidates],
            )
            train_index = np.setdiff1d(np.arange(n), valid_index)
        valid = torch.as_tensor(np.sort(valid_index))
        train = torch.as_tensor(np.sort(train_index))
        return dataset.subset(train), dataset.subset(valid)


class LossPartsNet(NeuralNet):
    """A ``NeuralNet`` whose criterion returns ``(total, parts)``.

    Each part is recorded per batch as ``train_<part>`` / ``valid_<part>``
    (``PassthroughScoring`` callbacks turn them into epoch averages) and
    checked: a non-finite part stops training with an error that names it,
    instead of finishing with NaN weights.

    No value is read back from the device during an epoch. skorch's own loop
    calls ``loss.item()`` at every batch, which on a GPU makes the host wait
    for the device at every step; here the per-batch losses stay on the
    device as 0-d tensors and are copied to the history together, in one
    transfer, when the train (or validation) pass of the epoch ends. The
    history holds the same numbers as skorch's loop would record, and
    callbacks that read epoch values (scoring, early stopping, checkpoints)
    see them as usual; only the per-batch loss is missing from a
    ``ProgressBar`` postfix. The non-finite check runs on those values, so a
    diverging run stops at the end of the pass in which it diverged.
    """

    _pending = None  # {history key: [0-d tensors]} while a pass runs
    _per_pass = None  # {history key: 0-d tensor}: one value for the pass

    def get_dataset(self, X, y=None):
        if isinstance(X, TensorDictDataset):
            return X
        return TensorDictDataset(X, y)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        total, parts = self.criterion_(y_pred, y_true)
        prefix = "train_" if training else "valid_"
        # Only called from the steps of run_single_epoch, which collects these.
        for name, part in parts.items():
            self._pending.setdefault(prefix + name, []).append(part.detach())
        chance = getattr(self.criterion_, "alignment_chance", None)
        if training and chance is not None and not self._per_pass:
            # Once per epoch, on its first batch: the alignment loss of
            # mismatched pairs, the chance level to read the loss against.
            value = chance(y_pred)
            if value is not None:
                self._per_pass["train_alignment_chance"] = value.detach()
        return total

    def _set_training(self, training=True):
        # skorch calls this at every batch, and ``Module.train`` walks the
        # whole module tree: on a small network that costs a noticeable share
        # of a step. Walk it only when a top-level module is in the other mode.
        modules = [getattr(self, name + "_") for name in self._modules]
        if any(module.training != training for module in modules):
            super()._set_training(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop, with the per-batch ``.item()`` replaced by deferral.
        if iterator is None:
            return
        rows = self.history[-1]["batches"]
        first = len(rows)
        self._pending, self._per_pass = {}, {}
        try:
            batch_count = 0
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                self._pending.setdefault(prefix + "_loss", []).append(
                    step["loss"].detach()
                )
                self.history.record_batch(prefix + "_batch_size", get_len(batch[0]))
                self.notify("on_batch_end", batch=batch, training=training, **step)
                batch_count += 1
            pending, per_pass = self._pending, self._per_pass
        finally:
            self._pending = self._per_pass = None
        if pending:
            keys = list(pending)
            # One device-to-host copy for every value of the pass.
            table = torch.stack([torch.stack(pending[k]) for k in keys]).tolist()
            for i, row in enumerate(rows[first:]):
                row.update((k, values[i]) for k, values in zip(keys, table))
            for i in range(batch_count):
                self._check_finite(
                    {k: values[i] for k, values in zip(keys, table)}, i + 1
                )
        if per_pass:
            values = torch.stack(list(per_pass.values())).tolist()
            for key, value in zip(per_pass, values):
                self.history.record(key, value)
        self.history.record(prefix + "_batch_count", batch_count)

    def _check_finite(self, values, batch):
        broken = [k for k, v in values.items() if not math.isfinite(v)]
        if not broken:
            return
        where = f"epoch {len(self.history)}, batch {batch}"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
        raise FloatingPointError(
            f"Training diverged in {where}: {', '.join(broken)} became "
            f"non-finite ({shown}). Try a lower learning rate (lr), a larger "
            "CCA ridge (r1, r2), or a larger batch_size."
        )


def make_callbacks(
    parts,
    *,
    validation,
    early_stopping,
    patience,
    tol,
    verbose,
    monitor="valid_prediction_loss",
):
    """skorch callbacks: epoch averages of each loss part, early stopping, progress.

    Early stopping watches ``monitor`` (lower is better), the epoch average of
    one validation part.
    """
    callbacks = []
    for part in parts:
        callbacks.append(
            (f"train_{part}", PassthroughScoring(name=f"train_{part}", on_train=True))
        )
        if validation:
            callbacks.append(
                (f"valid_{part}", PassthroughScoring(name=f"valid_{part}"))
            )
    if early_stopping:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=patience,
                    threshold=tol,
                    threshold_mode="abs",
                    load_best=True,
                    sink=print if verbose else (lambda *a, **k: None),
                ),
            )
        )
    if verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks


def epoch_history(history):
    """The epoch-level entries of a skorch ``History``, without per-batch rows."""
    return History({k: v for k, v in row.items() if k != "batches"} for row in history)


_OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
# Rows per forward pass at predict time: bounds memory, large enough for speed.
_PREDICT_CHUNK = 16384


def _check_layer_sizes(sizes, name):
    sizes = tuple(sizes)
    if not all(isinstance(s, Integral) and s > 0 for s in sizes):
        raise ValueError(f"{name} must hold positive integers, got {sizes!r}.")
    return tuple(int(s) for s in sizes)


def _to_tensor(array, device):
    """A float32 tensor on ``device``; read-only arrays (memmaps) are copied."""
    array = np.require(array, dtype=np.float32, requirements="W")
    return torch.from_numpy(array).to(device)


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


# Constraints of the hyperparameters that every sewlearn estimator shares and
# training_params reads, plus the CCA ridges.
TRAINING_CONSTRAINTS = {
    "r1": [Interval(Real, 0, None, closed="neither")],
    "r2": [Interval(Real, 0, None, closed="neither")],
    "optimizer": [StrOptions(set(_OPTIMIZERS))],
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
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def training_params(
    est,
    *,
    parts,
    seed,
    monitor="valid_prediction_loss",
    iterator=TensorBatchIterator,
    labeled=None,
    stratify=None,
):
    """The ``NeuralNet`` arguments every sewlearn estimator derives alike.

    From the hyperparameters the estimators share (optimizer, lr, momentum,
    weight_decay, batch_size, max_epochs, early stopping, device, verbose):
    the optimizer, the slicing iterators, the validation split and the
    callbacks that record ``parts`` and stop early on ``monitor``. ``labeled``
    and ``stratify`` go to :class:`RandomValidSplit`.
    """
    # foreach: one fused call per step for all parameters instead of a Python
    # loop over them; the same arithmetic (bit for bit), and on the CPU, where
    # torch does not pick it by default, 10% (SGD) to 40% (Adam) less time per
    # optimiser step.
    optimizer_kwargs = {"weight_decay": est.weight_decay, "foreach": True}
    if est.optimizer == "sgd":
        optimizer_kwargs["momentum"] = est.momentum
    return dict(
        optimizer=_OPTIMIZERS[est.optimizer],
        lr=est.lr,
        max_epochs=est.max_epochs,
        batch_size=est.batch_size,
        iterator_train=iterator,
        iterator_valid=iterator,
        iterator_train__shuffle=True,
        train_split=(
            RandomValidSplit(
                est.validation_fraction, seed, labeled=labeled, stratify=stratify
            )
            if est.early_stopping
            else None
        ),
        callbacks=make_callbacks(
            parts,
            validation=est.early_stopping,
            early_stopping=est.early_stopping,
            patience=est.n_iter_no_change,
            tol=est.tol,
            verbose=est.verbose,
            monitor=monitor,
        ),
        device=est.device,
        verbose=est.verbose,
        **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
    )


class CPUPicklingMixin:
    """Pickle a fitted ``module_`` with CPU weights; restore it to its device.

    A model fitted with ``device="cuda"`` then loads on a CPU-only machine (it
    stays on the CPU there) and returns to the GPU where one is available.
    """

    def __getstate__(self):
        state = super().__getstate__()
        module = state.get("module_")
        if module is not None and next(module.parameters()).device.type != "cpu":
            state["module_"] = copy.deepcopy(module).cpu()
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        module = self.__dict__.get("module_")
        device = torch.device(self.device)
        if module is not None and device.type == "cuda" and torch.cuda.is_available():
            self.module_ = module.to(device)
