"""
=======================================
The ablation study as a grid search
=======================================

The paper's ablations are loss weights: ``alpha=0`` drops the translator
(-SD1), ``beta=0`` the strong auto-encoder's reconstruction (-SD2), ``gamma=0``
the CCA alignment (-CCA). A :class:`~sklearn.model_selection.GridSearchCV` over
``alpha`` and ``gamma`` is the ablation study; ``X_strong`` is sliced per fold
with ``X``, and the folds are whole recordings (``GroupKFold``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_scorer
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=3, n_frames=600, partitions=("train",), random_state=0
)
X = StandardScaler().fit_transform(data.features.video_geometric)
grid = GridSearchCV(
    SEWRegressor(
        weak_hidden_layer_sizes=(128,),
        optimizer="adam",
        max_epochs=4,
        random_state=0,
    ),
    {"alpha": [0.0, 1.0], "gamma": [0.0, 1.0]},
    scoring=ccc_scorer,
    cv=GroupKFold(n_splits=3),
)
grid.fit(X, data.targets.arousal, X_strong=data.features.audio, groups=data.groups)

# %%
names = {
    (0.0, 0.0): "-(CCA & SD1)",
    (0.0, 1.0): "-SD1",
    (1.0, 0.0): "-CCA",
    (1.0, 1.0): "SEW",
}
labels = [names[p["alpha"], p["gamma"]] for p in grid.cv_results_["params"]]
means = grid.cv_results_["mean_test_score"]
stds = grid.cv_results_["std_test_score"]
for label, m, s in zip(labels, means, stds):
    print(f"{label:>13}: CCC {m:.3f} +/- {s:.3f}")
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.bar(np.arange(len(labels)), means, yerr=stds, capsize=3)
ax.set_xticks(np.arange(len(labels)), labels)
ax.set_ylabel("CCC, held-out recordings")
fig.tight_layout()
