"""
=====================================================================
Distillation: a strong-view teacher labels the unlabeled pairs
=====================================================================

SEW transfers the strong modality through the *representation* (the weak
encoder learns to translate into it and to align with it). Another way is
through the *outputs*: a teacher fitted on the strong view of the labeled
rows predicts the unlabeled paired rows, and the weak-view student learns
from those predictions as well as from the labels (generalised
distillation, Lopez-Paz et al., ICLR 2016).
:class:`~sewlearn.DistilledClassifier` does this for any scikit-learn
student and teacher; the teacher's outputs on the labeled rows are
cross-fitted, so that imitation does not just copy the labels.

Digits: the weak view is the left half of each image plus noise, the strong
view (training only) the full image; 100 of the 898 training images keep
their label. The student is a logistic regression on the weak view. We
compare, paired over seeds (each seed draws the labeled images):

- the student on the 100 labels alone;
- the student distilled from a teacher on the strong view;
- the same, in a *negative control* where the roles are swapped: the weak
  view is the full image and the "strong" view the noisy half. A teacher on
  the "strong" view alone is then worse than the student, and the guard
  warns (:class:`~sewlearn.exceptions.WeakTeacherWarning`); a teacher on
  both views (``teacher_view="both"``, the default) does no harm.

Last, the same transfer inside SEW's own loss (``distillation``).
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import DistilledClassifier, SEWClassifier, paired_gain
from sewlearn.exceptions import WeakTeacherWarning

digits = load_digits()
rng = np.random.default_rng(0)
full = digits.images.reshape(len(digits.images), -1)
half = digits.images[:, :, :4].reshape(len(full), -1)
half = half + rng.normal(scale=4.0, size=half.shape)
H_train, H_test, F_train, F_test, y_train, y_test = train_test_split(
    half, full, digits.target, test_size=0.5, random_state=0, stratify=digits.target
)


def student():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


# %%
# Each seed: 100 labeled images, the others marked -1 (unlabeled pairs).
settings = {
    "positive": (H_train, H_test, F_train),  # weak: noisy half, strong: full
    "negative control": (F_train, F_test, H_train),  # roles swapped
}
scores = {}
for setting, (X, X_test, S) in settings.items():
    for seed in range(5):
        labeled = np.random.default_rng(seed).choice(len(y_train), 100, replace=False)
        y_semi = np.full(len(y_train), -1)
        y_semi[labeled] = y_train[labeled]
        alone = student().fit(X[labeled], y_train[labeled]).score(X_test, y_test)
        scores.setdefault((setting, "labels alone"), []).append(alone)
        for view in ("strong", "both"):
            model = DistilledClassifier(student(), student(), teacher_view=view)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", WeakTeacherWarning)
                model.fit(X, y_semi, X_strong=S)
            key = (setting, f"teacher on {view}")
            scores.setdefault(key, []).append(model.score(X_test, y_test))
            scores.setdefault(key + ("warned",), []).append(len(caught) > 0)

for setting in settings:
    base = scores[(setting, "labels alone")]
    print(f"{setting}: labels alone {np.mean(base):.3f}")
    for view in ("strong", "both"):
        key = (setting, f"teacher on {view}")
        warned = sum(scores[key + ("warned",)])
        print(
            f"  teacher on {view}: {paired_gain(scores[key], base)}, "
            f"guard warned in {warned}/5 fits"
        )

# %%
# The paired gains over the student on the labels alone, one line per seed.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
for ax, setting in zip(axes, settings):
    base = np.array(scores[(setting, "labels alone")])
    gains = np.array(
        [
            np.array(scores[(setting, f"teacher on {view}")]) - base
            for view in ("strong", "both")
        ]
    )
    ax.plot([0, 1], gains, color="0.7", marker="o")
    ax.plot([0, 1], gains.mean(axis=1), color="C3", marker="s", lw=2, label="mean")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks([0, 1], ["teacher on strong", "teacher on both"])
    ax.set_title(setting)
axes[0].set_ylabel("test accuracy gain over labels alone")
axes[0].legend()
fig.tight_layout()
plt.show()

# %%
# SEW's own output term
# ---------------------
# :class:`~sewlearn.SEWClassifier` takes the same transfer inside its loss:
# ``distillation=1.0`` adds ``L_kd``, the weak head imitating the
# probabilities of a teacher (by default ``teacher="linear"``, a logistic
# regression on both views, cross-fitted on the labeled rows) on every
# paired row. Paired against SEW with the unlabeled pairs alone, on the
# positive setting (a small network and few epochs, to keep this example
# fast; ``benchmarks/bench_distillation.py`` has the full-size figures):
small = dict(
    weak_hidden_layer_sizes=(64,),
    strong_hidden_layer_sizes=(64,),
    latent_dim=16,
    head_hidden_layer_sizes=(32,),
    n_cca_components=4,
    batch_size=64,
    max_epochs=15,
)
X, X_test, S = settings["positive"]
scaler = StandardScaler().fit(X)
X, X_test = scaler.transform(X), scaler.transform(X_test)
sew, sew_kd = [], []
for seed in range(3):
    labeled = np.random.default_rng(seed).choice(len(y_train), 100, replace=False)
    y_semi = np.full(len(y_train), -1)
    y_semi[labeled] = y_train[labeled]
    for scores_, kd in ((sew, 0.0), (sew_kd, 1.0)):
        model = SEWClassifier(**small, distillation=kd, random_state=seed)
        model.fit(X, y_semi, X_strong=S)
        scores_.append(model.score(X_test, y_test))
print(f"SEW + unlabeled pairs: {np.mean(sew):.3f}")
print(f"  + distillation=1.0: {paired_gain(sew_kd, sew)}")
print(
    f"  teacher's out-of-fold accuracy {model.teacher_score_:.3f}, "
    f"the same model on the weak view {model.weak_score_:.3f}"
)
