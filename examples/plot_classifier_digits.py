"""
=========================================================
SEWClassifier: a degraded view helped by the full image
=========================================================

Digits from scikit-learn. The *weak* view is a degraded image: the left half
only, with added noise, the kind of partial sensor a deployed system might
have. The *strong* view, available in training only, is the full image.
:class:`~sewlearn.SEWClassifier` trains the weak encoder with the strong view;
the uni-modal network (``fit(X, y)``) is the same architecture without it.
Both predict from the weak view alone. The spread over seeds is shown, so the
difference (or its absence) can be read against the noise.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWClassifier

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
for name, values in scores.items():
    print(f"{name:>18}: accuracy {np.mean(values):.3f} +/- {np.std(values):.3f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
for i, (name, values) in enumerate(scores.items()):
    ax.scatter(np.full(len(values), i), values, alpha=0.7)
    ax.errorbar(i + 0.15, np.mean(values), yerr=np.std(values), fmt="o", color="k")
ax.set_xticks([0, 1], list(scores))
ax.set_ylabel("test accuracy (weak view only)")
fig.tight_layout()
