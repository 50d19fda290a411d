# License: BSD 3 clause
"""Network blocks of SEW (paper Fig. 1) as torch modules.

Names follow the paper: the weak encoder ``W_E``, the translator decoder
``S_D1``, the strong auto-encoder ``S_E`` / ``S_D2`` and the regressor ``R``.
"""

import torch
from torch import nn

ACTIVATIONS = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


def make_mlp(sizes, activation="tanh"):
    """Linear layers of the given sizes with ``activation`` between layers.

    ``sizes = [n_in, h_1, ..., n_out]``. As in the paper (section 4.3), the
    activation sits *between* linear layers: the last layer (a latent code or
    a reconstruction) is linear.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class SingleStepGRU(nn.Module):
    """Stacked GRU layers run on a sequence of length one, then a linear layer.

    The regressor of the paper's section 4.2 ("4 single time-step GRU-RNN
    layers, each made up of 120 neurons, followed by a linear layer"). Each
    layer may have its own width.
    """

    def __init__(self, n_in, hidden_sizes, n_out):
        super().__init__()
        widths = [n_in, *hidden_sizes]
        self.grus = nn.ModuleList(
            nn.GRU(a, b, batch_first=True) for a, b in zip(widths[:-1], widths[1:])
        )
        self.linear = nn.Linear(widths[-1], n_out)

    def forward(self, x):
        h = x.unsqueeze(1)  # (batch, time=1, features)
        for gru in self.grus:
            h, _ = gru(h)
        return self.linear(h.squeeze(1))


def make_regressor(kind, n_in, hidden_sizes, n_out, activation):
    """The task head R: an MLP or the paper's single-step GRU stack."""
    if kind == "gru":
        return SingleStepGRU(n_in, hidden_sizes, n_out)
    # The MLP head has a nonlinearity on its input: the latent code is linear.
    return nn.Sequential(
        ACTIVATIONS[activation](), make_mlp([n_in, *hidden_sizes, n_out], activation)
    )


class SEWModule(nn.Module):
    """All trainable SEW blocks in one module.

    One module, so that skorch's checkpointing and ``EarlyStopping(load_best=True)``
    restore every block together. A block whose loss weight is zero (or that
    has no strong modality to work on) is not built.

    Parameters
    ----------
    n_weak, n_strong, n_outputs : int
        Widths of the weak modality, the strong modality (0 for none) and the
        target.
    weak_hidden, strong_hidden : tuple of int
        Hidden sizes of the weak encoder ``W_E`` and the strong encoder
        ``S_E``. Both decoders reconstruct the strong modality and mirror
        ``S_E``.
    latent_dim : int
        Width of the shared latent space (``m_sw`` and ``m_ss``).
    build_translator, build_strong_encoder, build_strong_decoder : bool
        Whether ``S_D1``, ``S_E`` and ``S_D2`` exist.
    """

    def __init__(
        self,
        *,
        n_weak,
        n_strong,
        n_outputs,
        weak_hidden,
        strong_hidden,
        latent_dim,
        activation,
        regressor,
        regressor_hidden,
        build_translator,
        build_strong_encoder,
        build_strong_decoder,
    ):
        super().__init__()
        strong_mirror = [latent_dim, *reversed(strong_hidden), n_strong]
        # The deployed blocks are built first, so that their initial weights
        # depend on the seed alone, not on which strong-side blocks exist.
        self.weak_encoder = make_mlp([n_weak, *weak_hidden, latent_dim], activation)
        self.regressor = make_regressor(
            regressor, latent_dim, regressor_hidden, n_outputs, activation
        )
        self.translator = (
            make_mlp(strong_mirror, activation) if build_translator else None
        )
        self.strong_encoder = (
            make_mlp([n_strong, *strong_hidden, latent_dim], activation)
            if build_strong_encoder
            else None
        )
        self.strong_decoder = (
            make_mlp(strong_mirror, activation) if build_strong_decoder else None
        )

    def forward(self, weak, strong=None):
        """Every output the losses need, as a dict of tensors."""
        weak_code = self.weak_encoder(weak)  # m_sw
        out = {"y_pred": self.regressor(weak_code), "weak_code": weak_code}
        if strong is None:
            return out
        out["strong"] = strong
        if self.translator is not None:
            out["translation"] = self.translator(weak_code)  # \hat M_sw
        if self.strong_encoder is not None:
            strong_code = self.strong_encoder(strong)  # m_ss
            out["strong_code"] = strong_code
            if self.strong_decoder is not None:
                out["reconstruction"] = self.strong_decoder(strong_code)  # \hat M_s
        return out


class DeployedSEW(nn.Module):
    """What remains after training (paper section 3): ``W_E`` and ``R`` only."""

    def __init__(self, weak_encoder, regressor):
        super().__init__()
        self.weak_encoder = weak_encoder
        self.regressor = regressor

    def forward(self, x):
        return self.regressor(self.weak_encoder(x))

    @torch.no_grad()
    def encode(self, x):
        return self.weak_encoder(x)
