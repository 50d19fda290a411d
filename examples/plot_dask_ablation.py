"""
================================
Ablation study on a Dask cluster
================================

The paper's ablations are loss weights (``alpha=0`` drops the translator,
-SD1; ``gamma=0`` the CCA alignment, -CCA), so an ablation study is a
:class:`~sklearn.model_selection.GridSearchCV`. Each of its fits is
independent: under joblib's ``"dask"`` backend they become tasks on a Dask
cluster, with ``X_strong`` sliced per fold exactly as with ``n_jobs=1``, and
the same scores.

Here the cluster is a :class:`~distributed.LocalCluster` inside this process,
so that the example runs wherever the documentation is built; on a real
cluster only the ``Client`` line changes (see :ref:`scaling`).
"""

# %%
# A cluster and a client
# ----------------------
# Two workers of one thread each. ``processes=False`` keeps them in this
# process (a script would rather start worker processes, under
# ``if __name__ == "__main__":``); ``Client("tcp://scheduler:8786")`` connects
# to a running cluster instead.
import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_scorer, paired_gain
from sewlearn.datasets import make_recola_like

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
)
client = Client(cluster)

# %%
# The grid: ablations x seeds x folds
# -----------------------------------
# Arousal from video-geometric features, audio as the strong modality. The
# folds are whole recordings; two seeds per fold give eight (fold, seed)
# pairs per variant, each variant trained on the same folds with the same
# seeds, so the variants can be compared pair by pair.
data = make_recola_like(
    n_recordings=4, n_frames=400, partitions=("train",), random_state=0
)
X = StandardScaler().fit_transform(data.features.video_geometric)
sew = SEWRegressor(
    weak_hidden_layer_sizes=(32,),
    strong_hidden_layer_sizes=(32,),
    latent_dim=16,
    n_cca_components=4,
    optimizer="adam",
    lr=3e-3,
    max_epochs=4,
)
grid = GridSearchCV(
    sew,
    {"alpha": [0.0, 1.0], "gamma": [0.0, 1.0], "random_state": [0, 1]},
    scoring=ccc_scorer,
    cv=GroupKFold(n_splits=4),
    refit=False,
)
with joblib.parallel_backend("dask"):
    grid.fit(X, data.targets.arousal, X_strong=data.features.audio, groups=data.groups)
print(f"{len(grid.cv_results_['params']) * grid.n_splits_} fits on {client}")

# %%
# Gains, paired by fold and seed
# ------------------------------
# With ``alpha=gamma=0`` nothing links the strong side to the weak encoder
# and the regressor: that is the uni-modal network. Each variant's gain over
# it is a paired difference (same fold, same seed) with a 95% t interval.
NAMES = {(1.0, 1.0): "SEW", (1.0, 0.0): "-CCA", (0.0, 1.0): "-SD1"}
results = grid.cv_results_
splits = [f"split{k}_test_score" for k in range(grid.n_splits_)]


def pair_scores(alpha, gamma):
    """Test CCC of one variant, one entry per (seed, fold)."""
    rows = [
        i
        for i, p in enumerate(results["params"])
        if (p["alpha"], p["gamma"]) == (alpha, gamma)
    ]
    rows.sort(key=lambda i: results["params"][i]["random_state"])
    return np.array([results[s][i] for i in rows for s in splits])


baseline = pair_scores(0.0, 0.0)
gains = {}
for (alpha, gamma), name in NAMES.items():
    scores = pair_scores(alpha, gamma)
    gains[name] = (paired_gain(scores, baseline), scores - baseline)
    print(f"{name:>5} over uni-modal: {gains[name][0]}")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for row, (name, (gain, diffs)) in enumerate(gains.items()):
    ax.scatter(diffs, np.full(len(diffs), row + 0.2), s=12, alpha=0.6, color="C0")
    ax.errorbar(
        gain.mean,
        row,
        xerr=[[gain.mean - gain.low], [gain.high - gain.mean]],
        fmt="o",
        color="k",
        capsize=3,
    )
ax.axvline(0, color="grey", lw=0.8)
ax.set_yticks(range(len(gains)), list(gains))
ax.set_xlabel("CCC gain over uni-modal (paired; mean, 95% CI, pairs)")
ax.set_title("Ablations as Dask tasks: GroupKFold x 2 seeds")
fig.tight_layout()

# %%
client.close()
cluster.close()
