"""sewlearn._data: the whole-tensor dataset, its batch iterators, the split."""

import numpy as np
import pytest
import torch

from sewlearn._data import (
    EvenBatchIterator,
    RandomValidSplit,
    TensorBatchIterator,
    TensorDictDataset,
    to_tensor,
)


def _rows(n):
    return TensorDictDataset({"x": torch.arange(n)}, torch.arange(n) * 10)


def test_dataset_takes_rows_of_every_tensor():
    data = TensorDictDataset(
        {"a": torch.arange(6), "b": torch.arange(12).reshape(6, 2)}, torch.arange(6)
    )
    assert len(data) == 6
    X, y = data.take(slice(2, 4))
    assert X["a"].tolist() == [2, 3] and X["b"].tolist() == [[4, 5], [6, 7]]
    assert y.tolist() == [2, 3]
    sub = data.subset(torch.tensor([5, 0]))
    assert len(sub) == 2 and sub.X["a"].tolist() == [5, 0]
    assert TensorDictDataset({"a": torch.arange(3)}).take(1)[1] is None


def test_batches_are_slices_and_shuffling_covers_every_row():
    batches = list(TensorBatchIterator(_rows(10), batch_size=4))
    assert [X["x"].tolist() for X, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(TensorBatchIterator(_rows(10), batch_size=4)) == 3
    torch.manual_seed(0)
    shuffled = list(TensorBatchIterator(_rows(10), batch_size=4, shuffle=True))
    assert [len(X["x"]) for X, _ in shuffled] == [4, 4, 2]
    rows = torch.cat([X["x"] for X, _ in shuffled])
    assert sorted(rows.tolist()) == list(range(10))
    targets = torch.cat([y for _, y in shuffled])
    assert torch.equal(targets, rows * 10)  # rows and targets stay paired


@pytest.mark.parametrize("iterator", [TensorBatchIterator, EvenBatchIterator])
def test_unknown_iterator_arguments_are_refused(iterator):
    # Regression test: skorch passes every iterator_train__<name> setting of
    # the net as <name>; an unknown one was silently ignored.
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['drop_last'"):
        iterator(_rows(4), batch_size=2, drop_last=True, num_workers=2)
    with pytest.raises(TypeError, match="needs a TensorDictDataset"):
        iterator(list(range(4)), batch_size=2)


def test_the_iterator_refuses_an_unknown_setting_of_the_net():
    from skorch import NeuralNet

    net = NeuralNet(
        torch.nn.Linear,
        module__in_features=1,
        module__out_features=1,
        criterion=torch.nn.MSELoss,
        iterator_train=TensorBatchIterator,
        iterator_train__shuffle=True,
        iterator_train__pin_memory=True,
        train_split=None,
        max_epochs=1,
    ).initialize()
    with pytest.raises(TypeError, match=r"\['pin_memory'\]"):
        net.get_iterator(_rows(4), training=True)


def test_even_batches():
    dataset = TensorDictDataset({"x": torch.arange(513)})
    batches = list(EvenBatchIterator(dataset, batch_size=256, shuffle=True))
    sizes = [len(Xi["x"]) for Xi, _ in batches]
    assert sizes == [171, 171, 171]  # not 256, 256 and a batch of 1
    seen = torch.cat([Xi["x"] for Xi, _ in batches])
    assert sorted(seen.tolist()) == list(range(513))
    full = list(EvenBatchIterator(dataset, batch_size=1000))
    assert len(full) == 1 and len(full[0][0]["x"]) == 513


def test_to_tensor_copies_read_only_arrays():
    array = np.arange(6, dtype=np.float64).reshape(3, 2)
    array.setflags(write=False)
    tensor = to_tensor(array, torch.device("cpu"))
    assert tensor.dtype == torch.float32 and tensor.tolist() == array.tolist()
    tensor[0, 0] = 7.0  # a copy: the read-only array is untouched
    assert array[0, 0] == 0.0


def test_validation_split_draws_labeled_rows_only():
    n = 200
    labeled = np.zeros(n, dtype=bool)
    labeled[::4] = True  # 50 labeled rows
    data = TensorDictDataset({"weak": torch.arange(n, dtype=torch.float32)[:, None]})
    train, valid = RandomValidSplit(0.2, 0, labeled=labeled)(data)
    valid_rows = valid.X["weak"][:, 0].long().numpy()
    train_rows = train.X["weak"][:, 0].long().numpy()
    assert len(valid_rows) == 10  # 20% of the 50 labeled rows
    assert labeled[valid_rows].all()
    assert set(train_rows) | set(valid_rows) == set(range(n))
    assert (~labeled).sum() == (~labeled[train_rows]).sum()  # all unlabeled train


def test_classifier_validation_split_is_stratified():
    y = np.array([0] * 90 + [1] * 10)
    data = TensorDictDataset({"weak": torch.arange(100, dtype=torch.float32)[:, None]})
    _, valid = RandomValidSplit(0.2, 0, stratify=y)(data)
    rows = valid.X["weak"][:, 0].long().numpy()
    assert np.bincount(y[rows]).tolist() == [18, 2]


def test_validation_split_leaving_too_few_rows_is_refused():
    with pytest.raises(ValueError, match="validation_fraction=0.5 leaves too few"):
        RandomValidSplit(0.5, 0)(_rows(3))
