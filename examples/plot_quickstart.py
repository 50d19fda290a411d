"""
===========
Quick start
===========

Train a video model with the help of audio, then predict from video alone.

The data come from :func:`sewlearn.datasets.make_recola_like`, a synthetic
stand-in for the AVEC 2016 RECOLA emotion data in which audio is the stronger
modality for arousal.
"""

# %%
# Data: video-geometric features (weak), audio features (strong, training only)
# and the arousal trace, split into the train and dev partitions.
import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_score
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=3, n_frames=1000, partitions=("train", "dev"), random_state=0
)
train, dev = data.partition == "train", data.partition == "dev"
X_video, X_audio = data.features.video_geometric, data.features.audio
y = data.targets.arousal

# %%
# Fit: ``X_strong`` goes to the SEW step of the pipeline. After ``fit`` the model
# keeps only the video encoder and the regressor.
model = make_pipeline(
    StandardScaler(),
    SEWRegressor(optimizer="adam", max_epochs=8, random_state=0),
)
model.fit(X_video[train], y[train], sewregressor__X_strong=X_audio[train])
y_pred = model.predict(X_video[dev])
print(f"CCC on dev, video only at test time: {ccc_score(y[dev], y_pred):.3f}")

# %%
# The predicted arousal of one dev recording against the gold standard.
first = data.groups[dev] == "dev_1"
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(data.time[dev][first], y[dev][first], "k", label="gold standard")
ax.plot(data.time[dev][first], y_pred[first], label="SEW, video only")
ax.set_xlabel("time (s)")
ax.set_ylabel("arousal")
ax.legend()
fig.tight_layout()
