# License: BSD 3 clause
"""Training data as whole tensors: the dataset, its batch iterators, the split.

skorch's default data path indexes a ``Dataset`` one sample at a time and
collates the samples back into a batch; for the small dense networks of SEW
that per-sample work costs more than the step itself. Here the data stay
whole tensors (on the training device) and each batch is one slice or one
gather.
"""

import math

import numpy as np
import torch
from sklearn.model_selection import train_test_split

__all__ = [
    "EvenBatchIterator",
    "RandomValidSplit",
    "TensorBatchIterator",
    "TensorDictDataset",
    "WindowDataset",
    "to_tensor",
]


def to_tensor(array, device):
    """A float32 tensor on ``device``; read-only arrays (memmaps) are copied."""
    array = np.require(array, dtype=np.float32, requirements="W")
    return torch.from_numpy(array).to(device)


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


class WindowDataset(TensorDictDataset):
    """Windows of ``length`` consecutive frames, the samples of a sequence model.

    ``X`` (a dict of tensors) and ``y`` hold frames, one row each; sample
    ``i`` is the window of frames ``starts[i], ..., starts[i] + length - 1``,
    gathered on demand, so the frames are stored once however the windows
    overlap. A batch of windows is ``(X, y)`` with tensors of shape
    ``(batch, length, ...)``. Which windows exist (within one recording) is
    :func:`sewlearn._sequence.training_windows`'s business.
    """

    def __init__(self, X, y, starts, length):
        self.X = X
        self.y = y
        device = next(iter(X.values())).device
        self.starts = torch.as_tensor(starts, dtype=torch.long, device=device)
        self.length = int(length)
        self._offsets = torch.arange(self.length, device=device)
        self.n_samples = len(self.starts)

    def take(self, index):
        if isinstance(index, torch.Tensor):
            index = index.to(self.starts.device)
        rows = self.starts[index].unsqueeze(-1) + self._offsets  # (..., length)
        Xi = {k: v[rows] for k, v in self.X.items()}
        return Xi, (None if self.y is None else self.y[rows])

    def subset(self, index):
        if isinstance(index, torch.Tensor):
            index = index.to(self.starts.device)
        return WindowDataset(self.X, self.y, self.starts[index], self.length)


class TensorBatchIterator:
    """Batches of a :class:`TensorDictDataset` by slicing, without a DataLoader.

    Takes the arguments skorch passes to ``iterator_train`` /
    ``iterator_valid``: always ``batch_size``, and every
    ``iterator_train__<name>`` (``iterator_valid__<name>``) set on the net as
    ``<name>``. ``shuffle`` is the only other one it knows; any other raises
    a ``TypeError`` instead of being ignored. Shuffling draws from torch's
    global generator, which the estimators seed from ``random_state``.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, **unknown):
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments "
                f"{sorted(unknown)}; it takes batch_size and shuffle only "
                "(skorch passes it every iterator_train__* / iterator_valid__* "
                "setting of the net)."
            )
        if not isinstance(dataset, TensorDictDataset):
            raise TypeError(f"{type(self).__name__} needs a TensorDictDataset.")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def _bounds(self):
        """``(start, stop)`` of each batch."""
        n = len(self.dataset)
        return [(i, min(i + self.batch_size, n)) for i in range(0, n, self.batch_size)]

    def __iter__(self):
        bounds = self._bounds()
        if self.shuffle:
            device = next(iter(self.dataset.X.values())).device
            order = torch.randperm(len(self.dataset), device=device)  # no host copy
            for start, stop in bounds:
                yield self.dataset.take(order[start:stop])
        else:
            for start, stop in bounds:
                yield self.dataset.take(slice(start, stop))


class EvenBatchIterator(TensorBatchIterator):
    """Batches of nearly equal size, none much smaller than ``batch_size``.

    The CCA objective is estimated from each batch, and a small remainder
    batch (say 3 samples for codes of width 10) has canonical correlations of
    about 1 whatever the weights: it would add noise, not signal. So the
    samples are cut into ``ceil(n / batch_size)`` batches whose sizes differ
    by at most one.
    """

    def _bounds(self):
        n, n_batches = len(self.dataset), len(self)
        edges = [(n * i) // n_batches for i in range(n_batches + 1)]
        return list(zip(edges[:-1], edges[1:]))


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
