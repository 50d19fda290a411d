# License: BSD 3 clause
"""The skorch net the sewlearn estimators train: loss parts, callbacks, history.

:class:`LossPartsNet` runs skorch's training loop on the whole-tensor data of
:mod:`sewlearn._data`; everything else (callbacks, history, early stopping,
printing) is skorch's own.
"""

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import get_len
from skorch.history import History

from ._data import TensorDictDataset

__all__ = [
    "OPTIMIZERS",
    "PREDICT_CHUNK",
    "LossPartsNet",
    "make_callbacks",
    "epoch_history",
]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
# Rows per forward pass at predict time: bounds memory, large enough for speed.
PREDICT_CHUNK = 16384


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
    _chance_due = False  # the first training batch of a pass has not run yet

    # skorch's partial_fit catches KeyboardInterrupt (which its EarlyStopping
    # raises to stop) and returns as if the training had finished: a Ctrl-C
    # would leave a half-trained model that looks complete. A scikit-learn
    # fit interrupted by Ctrl-C raises (MLPRegressor does), so the estimator
    # is left unfitted. Only ``notify`` is overridden for it, not skorch's
    # fit_loop or partial_fit, whose code differs between the supported skorch
    # releases: a training that neither stopped early (``_EarlyStop``) nor
    # ran all its epochs was interrupted, and raises at its end.
    _interrupt = None  # the KeyboardInterrupt seen during the training
    _stopped_early = False
    _epochs_done = 0

    def notify(self, method_name, **cb_kwargs):
        if method_name == "on_train_begin":
            self._interrupt, self._stopped_early, self._epochs_done = None, False, 0
        elif method_name == "on_train_end":
            finished = self._stopped_early or self._epochs_done >= self.max_epochs
            if self._interrupt is not None or not finished:
                interrupt, self._interrupt = self._interrupt, None
                raise interrupt or KeyboardInterrupt()
        try:
            super().notify(method_name, **cb_kwargs)
        except _EarlyStop:
            self._stopped_early = True
            raise
        except KeyboardInterrupt as exc:
            self._interrupt = exc
            raise
        if method_name == "on_epoch_end":
            self._epochs_done += 1

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
        if self._chance_due:
            # Once per epoch, on its first batch: the alignment loss of
            # mismatched pairs, the chance level to read the loss against.
            self._chance_due = False
            chance = getattr(self.criterion_, "alignment_chance", None)
            value = None if chance is None else chance(y_pred)
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
        self._chance_due = training
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
        except KeyboardInterrupt as exc:
            self._interrupt = exc  # raised again at the end of the training
            raise
        finally:
            self._pending = self._per_pass = None
            self._chance_due = False
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


class _EarlyStop(KeyboardInterrupt):
    """skorch's way to end training early, told apart from a user's Ctrl-C."""


class _EarlyStopping(EarlyStopping):
    """skorch's EarlyStopping, whose stop is an :class:`_EarlyStop`.

    skorch stops training by raising KeyboardInterrupt from the callback,
    which ``LossPartsNet`` would otherwise take for Ctrl-C.
    """

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt as exc:
            if self.misses_ == self.patience:  # the callback's own stop
                raise _EarlyStop from exc
            raise


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
                _EarlyStopping(
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
