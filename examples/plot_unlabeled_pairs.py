"""
=====================================================================
Unlabeled paired rows: the strong modality without more labels
=====================================================================

Labels are expensive; paired recordings are not: every hour of video comes
with its audio, but few hours get annotated. SEW's translation,
auto-encoding and alignment losses need no label, only paired rows, so
:class:`~sewlearn.SEWClassifier` and :class:`~sewlearn.SEWRegressor` accept
rows without a label when ``X_strong`` is given, marked as in
:mod:`sklearn.semi_supervised`: ``-1`` for a class label (``"-1"`` for string
labels), ``NaN`` for a regression target.

Digits from scikit-learn: the *weak* view is the left half of each image
with added noise, the *strong* view (training only) the full image. Only 100
training images keep their label; the other 798 are unlabeled pairs. Three
networks of the same architecture predict from the weak view alone:

- uni-modal: ``fit`` on the 100 labeled images, without ``X_strong``;
- SEW: ``fit`` on the 100 labeled images with their full images;
- SEW + unlabeled: ``fit`` on all 898 images, 798 of them labeled ``-1``.

An epoch is one pass over every row a model is given, so the third network
takes about 9 times more steps per epoch. To compare at equal optimisation,
the two others train for 9 times more epochs (the same number of steps).
Each seed draws the labeled images and the weights, the same for the three
networks, and the gains are *paired* differences over seeds, with a 95%
confidence interval and the count of seeds won.
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
n_labeled, epochs = 100, 20
steps_ratio = len(y_train) / n_labeled  # rows per epoch, semi vs labeled only
params = dict(
    weak_hidden_layer_sizes=(128,),
    strong_hidden_layer_sizes=(64,),
    latent_dim=32,
    head_hidden_layer_sizes=(32,),
    optimizer="adam",
)
scores = {"uni-modal": [], "SEW": [], "SEW + unlabeled": []}
for seed in range(5):
    labeled = np.random.default_rng(seed).choice(len(y_train), n_labeled, False)
    y_semi = np.full(len(y_train), -1)  # -1: no label
    y_semi[labeled] = y_train[labeled]
    longer = dict(params, max_epochs=round(epochs * steps_ratio), random_state=seed)
    uni = SEWClassifier(**longer).fit(W_train[labeled], y_train[labeled])
    scores["uni-modal"].append(uni.score(W_test, y_test))
    sew = SEWClassifier(**longer).fit(
        W_train[labeled], y_train[labeled], X_strong=S_train[labeled]
    )
    scores["SEW"].append(sew.score(W_test, y_test))
    semi = SEWClassifier(**params, max_epochs=epochs, random_state=seed)
    semi.fit(W_train, y_semi, X_strong=S_train)
    scores["SEW + unlabeled"].append(semi.score(W_test, y_test))
print(f"{semi.n_labeled_} labeled and {semi.n_unlabeled_} unlabeled training rows")
print(f"uni-modal test accuracy: {np.round(scores['uni-modal'], 3)}")
gains = {
    name: paired_gain(scores[name], scores["uni-modal"])
    for name in ("SEW", "SEW + unlabeled")
}
for name, gain in gains.items():
    print(f"{name:>16} - uni-modal: accuracy {gain}")

# %%
# Each line joins the three accuracies of one seed; the right panel shows the
# paired gains over the uni-modal network with their 95% intervals.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
names = list(scores)
left.plot(names, np.array([scores[n] for n in names]), color="0.6", marker="o")
left.set_ylabel("test accuracy (weak view only)")
left.set_title("per seed")
for i, (name, gain) in enumerate(gains.items()):
    right.errorbar(
        i,
        gain.mean,
        yerr=[[gain.mean - gain.low], [gain.high - gain.mean]],
        fmt="o",
        capsize=4,
    )
    right.annotate(f"{gain.wins}/{gain.n} won", (i + 0.05, gain.mean))
right.axhline(0, color="k", lw=0.8)
right.set_xticks(range(len(gains)), list(gains))
right.set_xlim(-0.5, len(gains) - 0.5)
right.set_ylabel("accuracy gain over uni-modal")
right.set_title("paired over 5 seeds, 95% CI")
fig.tight_layout()
