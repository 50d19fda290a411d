"""
==========================
SEW against uni-modal
==========================

The same video network trained two ways, over several seeds: uni-modal
(``fit(X, y)``) and with audio as the strong modality
(``fit(X, y, X_strong=...)``). Both predict from video alone.

Whether SEW helps depends on the data and on the training budget; the plot
shows the spread over seeds so that a difference can be read against it.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_score
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=3, n_frames=1000, partitions=("train", "dev"), random_state=1
)
train, dev = data.partition == "train", data.partition == "dev"
scaler = StandardScaler().fit(data.features.video_geometric[train])
X_train = scaler.transform(data.features.video_geometric[train])
X_dev = scaler.transform(data.features.video_geometric[dev])
X_audio = data.features.audio[train]
y_train, y_dev = data.targets.arousal[train], data.targets.arousal[dev]

# %%
scores = {"uni-modal": [], "SEW (+audio)": []}
for seed in range(3):
    params = dict(optimizer="adam", max_epochs=6, random_state=seed)
    uni = SEWRegressor(**params).fit(X_train, y_train)
    sew = SEWRegressor(**params).fit(X_train, y_train, X_strong=X_audio)
    scores["uni-modal"].append(ccc_score(y_dev, uni.predict(X_dev)))
    scores["SEW (+audio)"].append(ccc_score(y_dev, sew.predict(X_dev)))
for name, values in scores.items():
    print(f"{name:>14}: CCC {np.mean(values):.3f} +/- {np.std(values):.3f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
for i, (name, values) in enumerate(scores.items()):
    ax.scatter(np.full(len(values), i), values, alpha=0.7)
    ax.errorbar(i + 0.15, np.mean(values), yerr=np.std(values), fmt="o", color="k")
ax.set_xticks([0, 1], list(scores))
ax.set_ylabel("CCC on dev (video only)")
ax.set_title("Arousal from video-geometric features")
fig.tight_layout()
