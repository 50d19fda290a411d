"""
================================
The loss components over epochs
================================

``history_`` holds, per epoch, the total loss (eq. 9) and each of its parts:
translation ``L_tr``, auto-encoding ``L_ae``, CCA alignment ``L_al`` (minus the
sum of the top-K canonical correlations) and prediction ``L_pr``, on the
training data and, with ``early_stopping=True``, on a held-out split.
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

# %%
parts = ["translation", "reconstruction", "alignment", "prediction"]
fig, axes = plt.subplots(1, 4, figsize=(12, 3))
for ax, part in zip(axes, parts):
    ax.plot(
        sew.history_[:, "epoch"], sew.history_[:, f"train_{part}_loss"], label="train"
    )
    ax.plot(
        sew.history_[:, "epoch"], sew.history_[:, f"valid_{part}_loss"], label="valid"
    )
    ax.set_title(f"{part} loss")
    ax.set_xlabel("epoch")
axes[0].legend()
fig.tight_layout()
