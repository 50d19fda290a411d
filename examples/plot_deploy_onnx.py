"""
==================================================
Deploying the weak-only model with ONNX
==================================================

SEW trains with two modalities and deploys a network that reads the weak one
alone. :func:`sewlearn.onnx.to_onnx` writes that network (the weak encoder
``W_E`` and the head ``R``) as an ONNX graph, which onnxruntime runs from C,
C++, C#, Java, JavaScript or a phone, without Python, torch or sewlearn.
Importing :mod:`sewlearn.onnx` also registers skl2onnx converters, so that a
whole pipeline, scaler included, converts with :func:`skl2onnx.to_onnx`.

A sequence model reads each frame from a window of past frames; its
streaming graph (:func:`sewlearn.onnx.to_onnx_streaming`) takes frames as they
arrive plus a state, and gives the same predictions as ``predict`` on the
whole recording. Needs ``pip install "sewlearn[onnx]"``.
"""

# %%
# A pipeline, converted whole
# ---------------------------
import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import skl2onnx
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor
from sewlearn.datasets import make_recola_like
from sewlearn.onnx import to_onnx_streaming

data = make_recola_like(
    n_recordings=2, n_frames=300, partitions=("train", "dev"), random_state=0
)
train, dev = data.partition == "train", data.partition == "dev"
X = data.features.video_geometric.astype(np.float32)
y = data.targets.arousal
small = dict(
    weak_hidden_layer_sizes=(64,),
    latent_dim=16,
    strong_hidden_layer_sizes=(32,),
    n_cca_components=4,
    optimizer="adam",
    max_epochs=3,
    random_state=0,
)
pipe = make_pipeline(StandardScaler(), SEWRegressor(**small))
pipe.fit(X[train], y[train], sewregressor__X_strong=data.features.audio[train])

onx = skl2onnx.to_onnx(pipe, X[:1])  # the converters are registered on import
session = ort.InferenceSession(
    onx.SerializeToString(), providers=["CPUExecutionProvider"]
)
(y_onnx,) = session.run(None, {"X": X[dev]})
gap = np.abs(y_onnx.ravel() - pipe.predict(X[dev])).max()
print(f"ONNX graph: {len(onx.SerializeToString()) / 1e3:.0f} kB, largest gap {gap:.1e}")

# %%
# A sequence model, streamed frame by frame
# -----------------------------------------
# The state is the weak codes of the last ``sequence_length - 1`` frames; a
# recording starts from an empty one.
seq = SEWRegressor(
    **small, head="gru", head_hidden_layer_sizes=(16,), sequence_length=25
)
seq.fit(
    StandardScaler().fit_transform(X[train]),
    y[train],
    X_strong=data.features.audio[train],
    groups=data.groups[train],
)
scaler = StandardScaler().fit(X[train])
recording = scaler.transform(X[dev][data.groups[dev] == data.groups[dev][0]])
recording = recording.astype(np.float32)
stream = ort.InferenceSession(
    to_onnx_streaming(seq).SerializeToString(), providers=["CPUExecutionProvider"]
)
state = np.zeros((1, 0, seq.latent_dim), np.float32)
streamed = []
for frame in recording:  # as the frames arrive
    y_t, state = stream.run(None, {"X": frame[None, None], "state": state})
    streamed.append(y_t[0, 0, 0])
expected = seq.predict(recording)
print(f"streamed vs predict: largest gap {np.abs(streamed - expected).max():.1e}")

# %%
fig, ax = plt.subplots(figsize=(7, 3))
t = np.arange(len(recording)) / 25
ax.plot(t, expected, lw=3, alpha=0.4, label="predict (whole recording)")
ax.plot(t, streamed, lw=1, label="onnxruntime, one frame at a time")
ax.set_xlabel("time (s)")
ax.set_ylabel("arousal")
ax.set_title("The streaming graph reproduces predict")
ax.legend(loc="best")
fig.tight_layout()
