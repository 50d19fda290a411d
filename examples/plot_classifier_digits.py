"""
=========================================================
SEWClassifier: a degraded view helped by the full image
=========================================================

Digits from scikit-learn. The *weak* view is a degraded image: the left half
only, with added noise, the kind of partial sensor a deployed system might
have. The *strong* view, available in training only, is the full image.
:class:`~sewlearn.SEWClassifier` trains the weak encoder with the strong view;
the uni-modal network (``fit(X, y)``) is the same architecture without it.
Both predict from the weak view alone. The gain is reported as the paired
difference over seeds (same seed, with and without the strong view), with its
95% interval and the seeds won; the figure joins the two scores of each seed.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWClassifier, paired_gain

digits = load_digits()
rng = np.random.default_rng(0)
full = digits.images.reshape(len(digits.images), -1)
weak = digits.images[:, :, :4].reshape(len(full), -1)
weak = weak + rng.normal(scale=4.0, size=weak.shape)
W_train, W_test, S_train, _, y_train, y_test = train_test_split(
    weak, full, digits.target, test_size=0.5, random_state=0, stratify=digits.target
)
scaler = StandardScaler().fit(W_train)
W_train, W_test = scaler.transform(W_train), scaler.transform(W_test)

# %%
params = dict(
    weak_hidden_layer_sizes=(128,),
    strong_hidden_layer_sizes=(64,),
    latent_dim=32,
    head_hidden_layer_sizes=(32,),
    optimizer="adam",
    max_epochs=25,
)
scores = {"uni-modal": [], "SEW (+full image)": []}
for seed in range(3):
    uni = SEWClassifier(**params, random_state=seed).fit(W_train, y_train)
    sew = SEWClassifier(**params, random_state=seed).fit(
        W_train, y_train, X_strong=S_train
    )
    scores["uni-modal"].append(uni.score(W_test, y_test))
    scores["SEW (+full image)"].append(sew.score(W_test, y_test))
# The gain is the paired difference (same seed, with and without X_strong),
# with its 95% interval and the number of seeds on which SEW won.
gain = paired_gain(scores["SEW (+full image)"], scores["uni-modal"])
print(f"SEW (+full image) - uni-modal: accuracy {gain}")

# %%
# Each line joins the two scores of one seed.
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(
    [0, 1], np.array([scores["uni-modal"], scores["SEW (+full image)"]]), marker="o"
)
ax.set_title(f"paired gain {gain}", fontsize=9)
ax.set_xticks([0, 1], list(scores))
ax.set_ylabel("test accuracy (weak view only)")
fig.tight_layout()
