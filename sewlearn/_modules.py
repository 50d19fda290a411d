# License: BSD 3 clause
"""The networks as torch modules: SEW's blocks (paper Fig. 1) and Deep CCA's.

Names follow the SEW paper: the weak encoder ``W_E``, the translator decoder
``S_D1``, the strong auto-encoder ``S_E`` / ``S_D2`` and the regressor ``R``
(the task head, a regressor or a classifier; the estimators' ``head``
parameter chooses it, and the module keeps the paper's name, ``regressor``).
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


class GRUHead(nn.Module):
    """Stacked GRU layers, then a linear layer: the recurrent head ``R``.

    On a batch of frames ``(batch, features)`` it is the regressor of the
    paper's section 4.2 ("4 single time-step GRU-RNN layers, each made up of
    120 neurons, followed by a linear layer"): each frame is a sequence of
    length one. On a batch of windows ``(batch, time, features)`` (the
    estimators' ``sequence_length``) the same layers run over time, from a zero
    state at the first frame of each window, and the linear layer maps every
    time step: one output per frame, each depending on the frames up to it.
    Each layer may have its own width.
    """

    def __init__(self, n_in, hidden_sizes, n_out):
        super().__init__()
        widths = [n_in, *hidden_sizes]
        self.grus = nn.ModuleList(
            nn.GRU(a, b, batch_first=True) for a, b in zip(widths[:-1], widths[1:])
        )
        self.linear = nn.Linear(widths[-1], n_out)

    def forward(self, x):
        if x.ndim == 3:  # windows: (batch, time, features)
            h = x
            for gru in self.grus:
                h, _ = gru(h)
            return self.linear(h)
        h = x.unsqueeze(1)  # (batch, time=1, features)
        for gru in self.grus:
            h, _ = gru(h)
        return self.linear(h.squeeze(1))


def make_head(kind, n_in, hidden_sizes, n_out, activation):
    """The task head R: an MLP or the GRU stack (:class:`GRUHead`)."""
    if kind == "gru":
        return GRUHead(n_in, hidden_sizes, n_out)
    # The MLP head has a nonlinearity on its input: the latent code is linear.
    return nn.Sequential(
        ACTIVATIONS[activation](), make_mlp([n_in, *hidden_sizes, n_out], activation)
    )


class StrongBranch(nn.Module):
    """The blocks of one strong modality: ``S_D1``, ``S_E`` and ``S_D2``.

    Each is None when no loss with a positive weight uses it.
    """

    def __init__(
        self,
        *,
        n_strong,
        strong_hidden,
        latent_dim,
        activation,
        translator,
        encoder,
        decoder,
        align_dim=None,
    ):
        super().__init__()
        mirror = [latent_dim, *reversed(strong_hidden), n_strong]
        self.translator = make_mlp(mirror, activation) if translator else None
        self.encoder = (
            make_mlp([n_strong, *strong_hidden, latent_dim], activation)
            if encoder
            else None
        )
        self.decoder = make_mlp(mirror, activation) if decoder else None
        # alignment="ey": K-wide linear projections of both codes, built last
        # so that the other blocks' initial weights do not change.
        self.align_dim = align_dim
        if align_dim is not None:
            self.strong_projection = nn.Linear(latent_dim, align_dim)
            self.weak_projection = nn.Linear(latent_dim, align_dim)

    def forward(self, strong, weak_code):
        out = {"strong": strong}
        if self.translator is not None:
            out["translation"] = self.translator(weak_code)  # \hat M_sw
        if self.encoder is not None:
            out["strong_code"] = self.encoder(strong)  # m_ss
            if self.decoder is not None:
                out["reconstruction"] = self.decoder(out["strong_code"])  # \hat M_s
            if self.align_dim is not None:
                out["strong_projection"] = self.strong_projection(out["strong_code"])
                out["weak_projection"] = self.weak_projection(weak_code)
        return out


class SEWModule(nn.Module):
    """All trainable SEW blocks in one module.

    One module, so that skorch's checkpointing and ``EarlyStopping(load_best=True)``
    restore every block together. A block whose loss weight is zero (or that
    has no strong modality to work on) is not built.

    Parameters
    ----------
    n_weak, n_outputs : int
        Widths of the weak modality and of the head's output.
    head : {"mlp", "gru"}
        The kind of the head ``R`` (:func:`make_head`), kept as ``regressor``;
        windows (3-D inputs) need "gru".
    head_hidden : tuple of int
        Hidden widths of ``R``.
    n_strong : dict of str to int
        Width of each strong modality (empty for none).
    weak_hidden : tuple of int
        Hidden sizes of the weak encoder ``W_E``.
    strong_hidden : dict of str to tuple of int
        Hidden sizes of each strong encoder ``S_E``. Both decoders reconstruct
        the strong modality and mirror its ``S_E``.
    latent_dim : int
        Width of the shared latent space (``m_sw`` and every ``m_ss``).
    build_translator, build_strong_encoder, build_strong_decoder : bool
        Whether ``S_D1``, ``S_E`` and ``S_D2`` exist (for every strong modality).
    align_dim : int or None, default=None
        With ``alignment="ey"``: the width K of the linear projections of the
        weak and strong codes that the Eckart-Young loss aligns (one pair per
        strong modality). Training-only, like the rest of the strong side.
    build_teacher : {False, "both", "strong"}, default=False
        Whether the joint teacher exists, and what it sees: a head of ``R``'s
        kind of MLP on the strong codes ``S_E(X_strong)`` (side by side with
        several strong modalities), with "both" also on the weak code
        ``W_E(X)``, detached (no gradient of the teacher reaches ``W_E``).
        The weak head imitates its outputs (``L_kd``). Training-only; it
        needs ``build_strong_encoder``.
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
        head,
        head_hidden,
        build_translator,
        build_strong_encoder,
        build_strong_decoder,
        align_dim=None,
        build_teacher=False,
    ):
        super().__init__()
        # The deployed blocks are built first, so that their initial weights
        # depend on the seed alone, not on which strong-side blocks exist.
        self.weak_encoder = make_mlp([n_weak, *weak_hidden, latent_dim], activation)
        self.regressor = make_head(head, latent_dim, head_hidden, n_outputs, activation)
        self.strong = nn.ModuleDict(
            {
                name: StrongBranch(
                    n_strong=width,
                    strong_hidden=strong_hidden[name],
                    latent_dim=latent_dim,
                    activation=activation,
                    translator=build_translator,
                    encoder=build_strong_encoder,
                    decoder=build_strong_decoder,
                    align_dim=align_dim,
                )
                for name, width in n_strong.items()
            }
        )
        # Built last: the other blocks' initial weights do not depend on it.
        self.teacher_view = build_teacher
        n_codes = len(n_strong) + (build_teacher == "both")
        self.teacher = (
            make_head("mlp", latent_dim * n_codes, head_hidden, n_outputs, activation)
            if build_teacher
            else None
        )

    def forward(self, weak, teacher=None, **strong):
        """Every output the losses need: a dict, with one sub-dict per strong view.

        ``weak`` (and each strong view) holds frames, ``(batch, features)``, or
        windows of consecutive frames, ``(batch, time, features)``. With
        windows, ``R`` runs over time; then every output is flattened to one
        row per frame, ``(batch * time, ...)``, so that the losses (the
        prediction loss per frame, and the translation, auto-encoding and
        alignment terms over the frames of the batch's windows) read rows as
        they do frame-wise. ``teacher``: a given teacher's outputs on the
        rows, passed through as ``out["teacher_target"]`` for ``L_kd``; with
        the joint teacher, its outputs on the codes are
        ``out["teacher_pred"]``.
        """
        weak_code = self.weak_encoder(weak)  # m_sw
        y_pred = self.regressor(weak_code)
        if weak_code.ndim == 3:
            weak_code, y_pred = weak_code.flatten(0, 1), y_pred.flatten(0, 1)
            strong = {name: x.flatten(0, 1) for name, x in strong.items()}
            if teacher is not None:
                teacher = teacher.flatten(0, 1)
        out = {
            "y_pred": y_pred,
            "weak_code": weak_code,
            "strong": {
                name: self.strong[name](x, weak_code) for name, x in strong.items()
            },
        }
        if teacher is not None:
            out["teacher_target"] = teacher
        if self.teacher is not None:
            codes = [out["strong"][name]["strong_code"] for name in self.strong]
            if self.teacher_view == "both":
                codes.append(weak_code.detach())
            out["teacher_pred"] = self.teacher(torch.cat(codes, dim=1))
        return out


class DeployedSEW(nn.Module):
    """What remains after training (paper section 3): ``W_E`` and ``R`` only."""

    def __init__(self, weak_encoder, regressor):
        super().__init__()
        self.weak_encoder = weak_encoder
        self.regressor = regressor

    def forward(self, x):
        return self.regressor(self.weak_encoder(x))


class DeepCCAModule(nn.Module):
    """The two encoders of Deep CCA, one per view, in one module.

    One module, so that ``EarlyStopping(load_best=True)`` restores both.
    """

    def __init__(
        self, *, n_features_x, n_features_y, x_hidden, y_hidden, latent_dim, activation
    ):
        super().__init__()
        self.x_encoder = make_mlp([n_features_x, *x_hidden, latent_dim], activation)
        self.y_encoder = make_mlp([n_features_y, *y_hidden, latent_dim], activation)

    def forward(self, x, y):
        return {"x_code": self.x_encoder(x), "y_code": self.y_encoder(y)}
