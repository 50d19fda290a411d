"""
==================================================
Post-processing predictions: scale, delay, smooth
==================================================

Frame-wise predictions of a continuous emotion trace are noisier than the
gold standard, come before it (the annotators react late) and have the wrong
mean and spread. :class:`~sewlearn.postprocessing.PostProcessedRegressor`
learns the AVEC 2016 baseline's corrections around any regressor: smoothing,
a time shift and centring and scaling, chosen by CCC on held-out training
recordings and applied per recording.

The data come from :func:`sewlearn.datasets.make_recola_like`, whose
annotations lag the features by 2 s (50 frames of 40 ms).
"""

# %%
# Data and the frame-wise model: audio features for arousal, a ridge
# regression fitted on the train partition.
import matplotlib.pyplot as plt
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import ccc_score
from sewlearn.datasets import make_recola_like
from sewlearn.postprocessing import PostProcessedRegressor

data = make_recola_like(
    n_recordings=4, n_frames=2500, partitions=("train", "dev"), random_state=0
)
train, dev = data.partition == "train", data.partition == "dev"
X, y, groups = data.features.audio, data.targets.arousal, data.groups
ridge = make_pipeline(StandardScaler(), Ridge(alpha=100.0))

# %%
# Each step's effect on the dev partition: the same ridge regression with the
# chain turned on step by step (a single delay of 0 and a window of 1 turn the
# shift and the smoothing off). Each post-processing is chosen on the train
# recordings alone, by 3-fold GroupKFold over them; the dev CCC is over the
# four dev recordings together, as AVEC scores a partition.
steps = {
    "raw predictions": None,
    "+ centring and scaling": dict(delays=(0,), windows=(1,)),
    "+ time shift": dict(windows=(1,)),
    "+ smoothing": {},
}
for name, grid in steps.items():
    if grid is None:
        model = ridge.fit(X[train], y[train])
        y_pred = model.predict(X[dev])
    else:
        model = PostProcessedRegressor(ridge, **grid)
        model.fit(X[train], y[train], groups=groups[train])
        y_pred = model.predict(X[dev], groups=groups[dev])
    print(f"{name:24} CCC on dev {ccc_score(y[dev], y_pred):.3f}")
print(f"chosen: delay {model.delay_} frames, window {model.window_} frames")

# %%
# The gold standard of one dev recording, the raw predictions of the refitted
# ridge regression (``model.estimator_``) and the post-processed ones. The
# time shift moves the predictions 2 s later, onto the annotations.
first = groups[dev] == "dev_1"
time = data.time[dev][first]
raw = model.estimator_.predict(X[dev][first])
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(time, raw, color="0.7", lw=0.8, label="raw prediction")
ax.plot(time, y_pred[first], color="C1", label="post-processed")
ax.plot(time, y[dev][first], "k", label="gold standard")
ax.set_xlabel("time (s)")
ax.set_ylabel("arousal")
ax.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize="small")
fig.tight_layout()
