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

from sewlearn import SEWRegressor, ccc_score, paired_gain
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
# The gain is the paired difference (same seed, with and without X_strong),
# with its 95% interval and the number of seeds on which SEW won.
gain = paired_gain(scores["SEW (+audio)"], scores["uni-modal"])
print(f"SEW (+audio) - uni-modal: CCC {gain}")

# %%
# Each line joins the two scores of one seed.
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot([0, 1], np.array([scores["uni-modal"], scores["SEW (+audio)"]]), marker="o")
ax.set_xticks([0, 1], list(scores))
ax.set_ylabel("CCC on dev (video only)")
ax.set_title(f"Arousal from video-geometric: {gain}", fontsize=9)
fig.tight_layout()
