"""sewlearn._losses: the SEW and Deep CCA criteria and their parts."""

import pytest
import torch

from sewlearn._cca import cca_loss, ey_loss
from sewlearn._losses import DeepCCALoss, SEWLoss, masked_prediction_loss

# -- the prediction loss never sees an unlabeled row --------------------------


@pytest.mark.parametrize("kind", ["mse", "ccc"])
def test_unlabeled_rows_give_no_prediction_gradient(kind):
    torch.manual_seed(0)
    head = torch.nn.Linear(3, 1)
    codes = torch.randn(8, 3)
    y = torch.full((8, 1), float("nan"))
    loss = masked_prediction_loss(kind, head(codes), y)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(head.weight.grad, torch.zeros_like(head.weight))
    assert torch.equal(head.bias.grad, torch.zeros_like(head.bias))


@pytest.mark.parametrize("kind", ["mse", "ccc", "cross_entropy"])
def test_masked_loss_equals_the_loss_on_the_labeled_rows(kind):
    torch.manual_seed(0)
    n_out = 3 if kind == "cross_entropy" else 1
    head = torch.nn.Linear(4, n_out)
    codes = torch.randn(12, 4)
    labeled = torch.tensor([1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0], dtype=torch.bool)
    if kind == "cross_entropy":
        y_full = torch.randint(0, 3, (12,))
        y_marked = torch.where(labeled, y_full, torch.full_like(y_full, -1))
    else:
        y_full = torch.randn(12, 1)
        y_marked = torch.where(labeled[:, None], y_full, torch.nan)

    def grads(loss):
        head.zero_grad()
        loss.backward()
        return [p.grad.clone() for p in head.parameters()]

    masked = masked_prediction_loss(kind, head(codes), y_marked)
    g_masked = grads(masked)
    reference = SEWLoss(prediction_loss=kind)(
        {"y_pred": head(codes[labeled])}, y_full[labeled]
    )[1]["prediction_loss"]
    g_reference = grads(reference)
    torch.testing.assert_close(masked, reference)
    for a, b in zip(g_masked, g_reference):
        torch.testing.assert_close(a, b)


def test_partially_labeled_rows_count_their_labeled_targets():
    y_pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    y_true = torch.tensor([[0.0, float("nan")], [1.0, 1.0]])
    # (1 - 0)^2, (3 - 1)^2, (4 - 1)^2 over 3 labeled entries.
    loss = masked_prediction_loss("mse", y_pred, y_true)
    assert loss.item() == pytest.approx((1 + 4 + 9) / 3)


# -- the alignment term ---------------------------------------------------------


def test_ey_alignment_is_ey_loss_of_the_projections():
    torch.manual_seed(0)
    strong_projection, weak_projection = torch.randn(32, 3), torch.randn(32, 3)
    branch = {
        "strong": torch.randn(32, 5),
        "strong_code": torch.randn(32, 8),
        "strong_projection": strong_projection,
        "weak_projection": weak_projection,
    }
    out = {"y_pred": torch.zeros(32, 1), "weak_code": torch.randn(32, 8)}
    out["strong"] = {"s": branch}
    parts = SEWLoss(alignment="ey", n_components=3)(out, torch.zeros(32, 1))[1]
    # "ey" aligns the K-wide projections, not the codes.
    torch.testing.assert_close(
        parts["alignment_loss"], ey_loss(strong_projection, weak_projection)
    )


def test_chance_level_is_the_loss_of_rolled_pairs():
    torch.manual_seed(0)
    strong, weak = torch.randn(16, 4), torch.randn(16, 4)
    out = {"weak_code": weak, "strong": {"s": {"strong_code": strong}}}
    criterion = SEWLoss(n_components=2)
    expected = cca_loss(strong.roll(1, dims=0), weak, n_components=2)
    torch.testing.assert_close(criterion.alignment_chance(out), expected)
    assert SEWLoss(gamma=0.0).alignment_chance(out) is None


@pytest.mark.parametrize("objective", ["cca", "ey"])
def test_deepcca_loss_is_the_alignment_of_the_two_codes(objective):
    torch.manual_seed(0)
    x, y = torch.randn(16, 4), torch.randn(16, 4)
    criterion = DeepCCALoss(n_components=2, r1=1e-3, r2=1e-2, objective=objective)
    total, parts = criterion({"x_code": x, "y_code": y})
    expected = (
        ey_loss(x, y)
        if objective == "ey"
        else cca_loss(x, y, n_components=2, r1=1e-3, r2=1e-2)
    )
    torch.testing.assert_close(total, expected)
    assert parts == {"alignment_loss": total}
    chance = criterion.alignment_chance({"x_code": x, "y_code": y})
    torch.testing.assert_close(
        chance, criterion({"x_code": x, "y_code": y.roll(1, 0)})[0]
    )
