"""
=============================
Saving and loading a model
=============================

A fitted :class:`~sewlearn.SEWRegressor` keeps only the deployed blocks, the
weak encoder ``W_E`` and the regressor ``R``, so the saved file is little more
than their weights. Loading a joblib or pickle file runs code chosen by its
author: load only files you trust.
"""

# %%
import os
import tempfile

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=2, n_frames=600, partitions=("train",), random_state=0
)
X = StandardScaler().fit_transform(data.features.video_geometric)
sew = SEWRegressor(optimizer="adam", max_epochs=3, random_state=0)
sew.fit(X, data.targets.arousal, X_strong=data.features.audio)

path = os.path.join(tempfile.mkdtemp(), "sew.joblib")
joblib.dump(sew, path)
loaded = joblib.load(path)
assert np.array_equal(loaded.predict(X), sew.predict(X))

n_params = sum(p.numel() for p in sew.module_.parameters())
print(f"deployed parameters: {n_params:,} ({4 * n_params / 2**20:.2f} MiB float32)")
print(f"file size: {os.path.getsize(path) / 2**20:.2f} MiB")

# %%
blocks = {
    name: sum(p.numel() for p in block.parameters())
    for name, block in sew.module_.named_children()
}
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(list(blocks), list(blocks.values()))
ax.set_ylabel("parameters")
ax.set_title("What a fitted SEWRegressor keeps")
fig.tight_layout()
