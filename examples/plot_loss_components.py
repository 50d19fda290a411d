"""
================================
The loss components over epochs
================================

``history_`` holds, per epoch, the total loss (eq. 9) and each of its parts:
translation ``L_tr``, auto-encoding ``L_ae``, CCA alignment ``L_al`` (minus the
sum of the top-K canonical correlations) and prediction ``L_pr``, on the
training data and, with ``early_stopping=True``, on a held-out split.

Beside the alignment loss, ``history_[:, "train_alignment_chance"]`` is the
same loss on one batch per epoch with the strong rows shifted by one, so that
no row meets its own pair: the value mismatched pairs get. At the paper's
setting (batch 32, codes of width 128) the two curves nearly coincide: a
batch of 32 codes is almost perfectly correlated with *any* 32 codes, so the
"cca" term saturates and carries little signal (``fit`` warns about it). The
Eckart-Young objective, ``alignment="ey"``, does not saturate: its loss falls
well below its chance level (right-hand panel).
"""

# %%
import matplotlib.pyplot as plt
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=3, n_frames=800, partitions=("train",), random_state=0
)
X = StandardScaler().fit_transform(data.features.video_geometric)
sew = SEWRegressor(
    optimizer="adam",
    max_epochs=15,
    early_stopping=True,
    n_iter_no_change=5,
    random_state=0,
).fit(X, data.targets.arousal, X_strong=data.features.audio)
print(f"stopped after {sew.n_iter_} epochs")
sew_ey = SEWRegressor(
    alignment="ey", optimizer="adam", max_epochs=15, random_state=0
).fit(X, data.targets.arousal, X_strong=data.features.audio)

# %%
parts = ["translation", "reconstruction", "alignment", "prediction"]
fig, axes = plt.subplots(1, 5, figsize=(15, 3))
for ax, part in zip(axes, parts):
    ax.plot(
        sew.history_[:, "epoch"], sew.history_[:, f"train_{part}_loss"], label="train"
    )
    ax.plot(
        sew.history_[:, "epoch"], sew.history_[:, f"valid_{part}_loss"], label="valid"
    )
    ax.set_title(f"{part} loss")
    ax.set_xlabel("epoch")
axes[2].plot(
    sew.history_[:, "epoch"],
    sew.history_[:, "train_alignment_chance"],
    "k--",
    label="chance (mismatched pairs)",
)
axes[2].legend(fontsize=7)
axes[4].plot(
    sew_ey.history_[:, "epoch"], sew_ey.history_[:, "train_alignment_loss"], label="ey"
)
axes[4].plot(
    sew_ey.history_[:, "epoch"],
    sew_ey.history_[:, "train_alignment_chance"],
    "k--",
    label="chance",
)
axes[4].set_title('alignment="ey": alignment loss')
axes[4].set_xlabel("epoch")
axes[4].legend(fontsize=7)
axes[0].legend()
fig.tight_layout()
