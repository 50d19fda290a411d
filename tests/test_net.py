"""sewlearn._net: deferred loss recording, host reads per step, training mode."""

import functools
import os
import signal
import sys
import time
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, PassthroughScoring

import sewlearn._cca
from sewlearn import DeepCCA, SEWRegressor
from sewlearn._data import TensorBatchIterator, TensorDictDataset
from sewlearn._net import LossPartsNet, make_callbacks

_HOST_READS = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__")


@pytest.fixture
def host_reads(monkeypatch):
    """Count the calls that copy a tensor's value to the host.

    On a GPU each of them makes the host wait for the device; on the CPU they
    are free, so counting them is how the CPU test suite guards the GPU path.
    Reads by ``torch.optim`` are not counted: Adam keeps its step counters on
    the host unless ``capturable=True``, so reading them waits for nothing.
    """
    counts = {"n": 0}
    for name in _HOST_READS:
        original = getattr(torch.Tensor, name)

        @functools.wraps(original)
        def counted(self, *args, _original=original, **kwargs):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith("torch.optim"):
                counts["n"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    # The CPU-only sample-space route of the CCA loss checks conditioning on
    # the host at every step; a GPU takes the feature-space route.
    monkeypatch.setattr(sewlearn._cca, "_SAMPLE_SPACE_MAX_RATIO", 0.0)
    return counts


class _TwoParts(torch.nn.Module):
    def forward(self, y_pred, y):
        a = torch.nn.functional.mse_loss(y_pred["out"], y)
        b = torch.nn.functional.l1_loss(y_pred["out"], y)
        return a + 0.5 * b, {"a_loss": a, "b_loss": b}


class _Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x):
        return {"out": self.linear(x)}


def _tiny_net(**kwargs):
    torch.manual_seed(0)
    params = (
        dict(
            module=_Linear,
            lr=0.05,
            max_epochs=3,
            iterator_train__shuffle=True,
            train_split=None,
        )
        | kwargs
    )
    return LossPartsNet(
        criterion=_TwoParts,
        optimizer=torch.optim.SGD,
        batch_size=7,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        callbacks=[
            (f"train_{p}", PassthroughScoring(name=f"train_{p}", on_train=True))
            for p in ("a_loss", "b_loss")
        ],
        verbose=0,
        **params,
    )


def _tiny_data(n=30):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 3, generator=g)
    return TensorDictDataset({"x": x}, x @ torch.tensor([[1.0], [-2.0], [0.5]]))


def test_batch_losses_are_recorded_per_batch_after_each_pass():
    net = _tiny_net().fit(_tiny_data())
    for epoch in net.history:
        batches = epoch["batches"]
        assert [b["train_batch_size"] for b in batches] == [7, 7, 7, 7, 2]
        for b in batches:
            assert all(type(b[k]) is float for k in ("train_loss", "train_a_loss"))
            assert b["train_loss"] == pytest.approx(
                b["train_a_loss"] + 0.5 * b["train_b_loss"], rel=1e-6
            )
        # skorch's epoch value: the batch-size weighted mean of the batches.
        sizes = np.array([b["train_batch_size"] for b in batches])
        a = np.array([b["train_a_loss"] for b in batches])
        assert epoch["train_a_loss"] == pytest.approx((a * sizes).sum() / sizes.sum())
    # Training made progress: the recorded losses are the real ones.
    assert net.history[-1, "train_loss"] < net.history[0, "train_loss"]


def test_batch_values_match_a_recomputation_with_the_same_weights():
    # With lr=0 the weights never change, so every batch value can be checked
    # against a direct evaluation of the criterion on that batch's rows.
    net = _tiny_net(lr=0.0, iterator_train__shuffle=False).fit(_tiny_data())
    data = _tiny_data()
    with torch.no_grad():
        for i, b in enumerate(net.history[-1, "batches"]):
            rows = slice(7 * i, 7 * i + 7)
            total, parts = net.criterion_(net.module_(data.X["x"][rows]), data.y[rows])
            assert b["train_loss"] == pytest.approx(total.item(), rel=1e-6)
            assert b["train_b_loss"] == pytest.approx(parts["b_loss"].item(), rel=1e-6)


def test_divergence_names_the_part_and_the_batch():
    data = _tiny_data()
    data.y[9] = float("nan")  # the second batch of the unshuffled first epoch
    net = _tiny_net(iterator_train__shuffle=False)
    with pytest.raises(
        FloatingPointError,
        match=r"epoch 1, batch 2: train_a_loss, train_b_loss, train_loss became",
    ):
        net.fit(data)


def _reads_during_fit(est, host_reads, n, **fit_params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 10)).astype(np.float32)
    Z = rng.normal(size=(n, 6)).astype(np.float32)
    host_reads["n"] = 0
    if isinstance(est, DeepCCA):
        est.fit(X, Z)
    else:
        est.fit(X, X[:, 0] - Z[:, 1], X_strong=Z)
    return host_reads["n"]


@pytest.mark.parametrize("estimator", [SEWRegressor, DeepCCA])
def test_host_reads_do_not_grow_with_the_number_of_batches(estimator, tiny, host_reads):
    # 4x the rows is 4x the batches per epoch at the same number of epochs:
    # every value the training loop reads back must be per epoch, not per step.
    est = tiny(estimator, batch_size=16, max_epochs=2, early_stopping=True)
    few = _reads_during_fit(est, host_reads, 160)
    many = _reads_during_fit(est, host_reads, 640)
    assert many == few


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_synchronises_at_most_once_per_step(tiny):
    # The one synchronisation left per step is torch.linalg.svdvals in the CCA
    # loss (documented by PyTorch); nothing else may wait for the device.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(640, 10)).astype(np.float32)
    Z = rng.normal(size=(640, 6)).astype(np.float32)
    sew = tiny(SEWRegressor, batch_size=16, max_epochs=1, device="cuda")
    sew.fit(X[:64], X[:64, 0], X_strong=Z[:64])  # warm-up: lazy CUDA set-up
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            sew.fit(X, X[:, 0] - Z[:, 1], X_strong=Z)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert len(syncs) <= 640 // 16 + 20  # one per step, plus fit's set-up


class _ModeRecorder(_Linear):
    def __init__(self):
        super().__init__()
        self.modes = []
        self.switches = 0

    def train(self, mode=True):
        self.switches += 1
        return super().train(mode)

    def forward(self, x):
        self.modes.append(self.training)
        return super().forward(x)


def test_train_and_validation_passes_run_in_their_modes():
    # The mode is switched only when it changes, not at every batch.
    def split(dataset, y=None, **kwargs):
        return dataset.subset(slice(0, 21)), dataset.subset(slice(21, 30))

    net = _tiny_net(module=_ModeRecorder, max_epochs=2, train_split=split)
    net.fit(_tiny_data())
    # Per epoch: 3 training batches (21 rows), then 2 validation batches.
    assert net.module_.modes == [True, True, True, False, False] * 2
    # Two switches per epoch (skorch alone would call train() at every batch).
    assert net.module_.switches <= 2 * 2 + 1


class _InterruptAt(Callback):
    """Ctrl-C at the end of epoch ``epoch``: a SIGINT, or KeyboardInterrupt raised."""

    def __init__(self, epoch, signal=False):
        self.epoch, self.signal = epoch, signal

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            if self.signal:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5.0)  # Python's SIGINT handler interrupts this
            else:
                raise KeyboardInterrupt


def test_keyboard_interrupt_propagates_out_of_the_net():
    # skorch's partial_fit swallows KeyboardInterrupt and returns normally.
    net = _tiny_net(max_epochs=50)
    net.callbacks.append(("interrupt", _InterruptAt(2)))
    with pytest.raises(KeyboardInterrupt):
        net.fit(_tiny_data())
    assert len(net.history) == 2


@pytest.mark.parametrize("by_signal", [False, True])
def test_ctrl_c_during_fit_raises_and_leaves_the_estimator_unfitted(
    tiny, monkeypatch, by_signal
):
    import sewlearn._base

    def with_interrupt(*args, **kwargs):
        return [
            *make_callbacks(*args, **kwargs),
            ("ctrl_c", _InterruptAt(2, by_signal)),
        ]

    monkeypatch.setattr(sewlearn._base, "make_callbacks", with_interrupt)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    est = tiny(SEWRegressor, max_epochs=50, early_stopping=False)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, X[:, 0], X_strong=X[:, 1:])
    assert not hasattr(est, "n_iter_")
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_early_stopping_still_stops_without_raising(tiny):
    # skorch's EarlyStopping stops the training with a KeyboardInterrupt:
    # that one must not be taken for a Ctrl-C.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    est = tiny(
        SEWRegressor, max_epochs=200, early_stopping=True, n_iter_no_change=2, tol=10.0
    ).fit(X, X[:, 0], X_strong=X[:, 1:])
    assert est.n_iter_ == 3  # the first epoch, then 2 without improvement
