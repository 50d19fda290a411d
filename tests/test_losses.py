"""sewlearn._losses: the SEW and Deep CCA criteria and their parts."""

import numpy as np
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


# -- the EY alignment with windows of frames (issue 25, item 4) -----------------


def _ar1_windows(n_batches, n_windows, length, *, phi=0.95, rho=0.8, seed=0):
    """Batches of independent windows of two AR(1) views, canonical correlation
    ``rho``, scaled so that the population EY loss is ``-rho**2``."""
    rng = np.random.default_rng(seed)
    shape = (n_batches, n_windows, length)

    def ar1():
        noise = rng.normal(size=shape) * np.sqrt(1 - phi**2)
        z = np.empty(shape)
        z[..., 0] = rng.normal(size=shape[:2])  # stationary start
        for t in range(1, length):
            z[..., t] = phi * z[..., t - 1] + noise[..., t]
        return z

    a, c = ar1(), ar1()
    h1 = np.sqrt(rho) * a
    h2 = np.sqrt(rho) * (rho * a + np.sqrt(1 - rho**2) * c)
    flat = (n_batches, n_windows * length, 1)
    return torch.from_numpy(h1.reshape(flat)), torch.from_numpy(h2.reshape(flat))


def test_ey_with_windows_is_unbiased():
    # Two AR(1) views (phi 0.95), canonical correlation 0.8: population loss
    # -0.64. Batches of 4 windows x 10 frames. Splitting by row parity gave
    # -0.44 (neighbouring frames in both halves); each covariance from pairs
    # of frames of different windows gives -0.640. (Measured over 20,000
    # batches on one long series, random tiles: frame-wise batches of 40,
    # -0.637 +- 0.002; parity -0.440 +- 0.004; two halves of windows with the
    # usual covariances -0.794 +- 0.008; this estimate -0.644 +- 0.013.)
    h1, h2 = _ar1_windows(4000, 4, 10)
    fixed = np.mean(
        [ey_loss(a, b, frames_per_window=10).item() for a, b in zip(h1, h2)]
    )
    parity = np.mean([ey_loss(a, b).item() for a, b in zip(h1, h2)])
    assert fixed == pytest.approx(-0.64, abs=0.04)
    assert parity > -0.5  # the frame-wise estimate is far off on windows


def _between_windows_reference(z1, z2, length):
    """Mean of (z1_i - z1_j)(z2_i - z2_j)^T / 2 over ordered pairs of rows of
    different windows, by brute force."""
    m = len(z1)
    window = np.arange(m) // length
    total, count = 0.0, 0
    for i in range(m):
        for j in range(m):
            if window[i] != window[j]:
                total = total + np.outer(z1[i] - z1[j], z2[i] - z2[j]) / 2
                count += 1
    return total / count


@pytest.mark.parametrize("n_windows", [2, 3, 4, 5])
def test_ey_with_windows_matches_the_pairs_of_different_windows(n_windows):
    rng = np.random.default_rng(n_windows)
    length, k = 3, 2
    z1 = rng.normal(size=(n_windows * length, k)) + 1.5
    z2 = 0.6 * z1 + rng.normal(size=z1.shape)
    cov = _between_windows_reference

    def b(u1, u2):
        return (cov(u1, u1, length) + cov(u2, u2, length)) / 2

    if n_windows >= 4:
        rows = np.arange(len(z1)).reshape(n_windows, length)
        even, odd = rows[0::2].ravel(), rows[1::2].ravel()
        b1, b2 = b(z1[even], z2[even]), b(z1[odd], z2[odd])
    else:
        b1 = b2 = b(z1, z2)
    expected = -2 * np.trace(cov(z1, z2, length)) + np.sum(b1 * b2)
    got = ey_loss(torch.from_numpy(z1), torch.from_numpy(z2), frames_per_window=length)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    # one window: frame-wise, as without windows
    one = torch.from_numpy(z1[:length]), torch.from_numpy(z2[:length])
    assert ey_loss(*one, frames_per_window=length).item() == ey_loss(*one).item()


def test_sew_loss_passes_its_windows_to_the_ey_alignment():
    torch.manual_seed(0)
    strong, weak = torch.randn(40, 3), torch.randn(40, 3)
    branch = {
        "strong": torch.randn(40, 5),
        "strong_code": torch.randn(40, 8),
        "strong_projection": strong,
        "weak_projection": weak,
    }
    out = {"y_pred": torch.zeros(40, 1), "weak_code": torch.randn(40, 8)}
    out["strong"] = {"s": branch}
    criterion = SEWLoss(alignment="ey", n_components=3, frames_per_window=10)
    parts = criterion(out, torch.zeros(40, 1))[1]
    expected = ey_loss(strong, weak, frames_per_window=10)
    torch.testing.assert_close(parts["alignment_loss"], expected)
    assert expected.item() != pytest.approx(ey_loss(strong, weak).item())
