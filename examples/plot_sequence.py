"""
====================================
Frame-wise against sequence SEW
====================================

The SEW paper's model is frame-wise: each 40 ms frame is an independent
sample. Emotion traces are smooth, and annotators react late (here by 2 s),
so the label of a frame is better told by the frames before it. With
``sequence_length``, the head ``R`` is a GRU run over windows of consecutive
frames of one recording (``groups``), and each frame is predicted with up to
``sequence_length - 1`` frames of its past.

The same network (``head="gru"``) is trained both ways on the same data and
seeds, and the gain is reported paired over the seeds with
:func:`~sewlearn.paired_gain`.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_score, paired_gain
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=3, n_frames=1000, partitions=("train", "dev"), random_state=0
)
train, dev = data.partition == "train", data.partition == "dev"
scaler = StandardScaler().fit(data.features.audio[train])
X_train = scaler.transform(data.features.audio[train])
X_dev = scaler.transform(data.features.audio[dev])
y_train, y_dev = data.targets.arousal[train], data.targets.arousal[dev]
g_train, g_dev = data.groups[train], data.groups[dev]

# %%
# Windows of 50 frames (2 s). ``batch_size`` counts windows: 4 windows are
# 200 frames a batch.
network = dict(
    weak_hidden_layer_sizes=(64,),
    latent_dim=16,
    head="gru",
    head_hidden_layer_sizes=(32,),
    optimizer="adam",
    max_epochs=8,
)
scores = {"frame-wise": [], "sequence (2 s)": []}
for seed in range(3):
    flat = SEWRegressor(random_state=seed, **network).fit(X_train, y_train)
    seq = SEWRegressor(
        sequence_length=50, batch_size=4, random_state=seed, **network
    ).fit(X_train, y_train, groups=g_train)
    scores["frame-wise"].append(ccc_score(y_dev, flat.predict(X_dev)))
    scores["sequence (2 s)"].append(ccc_score(y_dev, seq.predict(X_dev, groups=g_dev)))
gain = paired_gain(scores["sequence (2 s)"], scores["frame-wise"])
print("dev CCC:", {k: np.round(v, 3).tolist() for k, v in scores.items()})
print("sequence - frame-wise:", gain)

# %%
# Left: the paired scores, one line per seed. Right: one dev recording, the
# gold standard and the two models' predictions (last seed). Predicting one
# recording needs no ``groups``: without them, the rows are one recording.
first = g_dev == g_dev[0]
time = np.arange(first.sum()) * 0.04
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.4), width_ratios=[1, 2])
ax0.plot([0, 1], np.array(list(scores.values())), "o-", color="gray")
ax0.set_xticks([0, 1], list(scores))
ax0.set_xlim(-0.3, 1.3)
ax0.set_ylabel("CCC on dev (arousal, audio)")
ax0.set_title(f"gain {gain.mean:+.3f} [{gain.low:+.3f}, {gain.high:+.3f}]")
ax1.plot(time, y_dev[first], "k", label="gold standard")
ax1.plot(time, flat.predict(X_dev[first]), alpha=0.7, label="frame-wise")
ax1.plot(time, seq.predict(X_dev[first]), alpha=0.9, label="sequence")
ax1.set_xlabel("time (s)")
ax1.legend(fontsize="small", loc="upper right")
fig.tight_layout()
