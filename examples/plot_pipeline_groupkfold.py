"""
=====================================================
SEW in a Pipeline, cross-validated by recording
=====================================================

Frames of one recording are strongly correlated, so cross-validation must hold
out whole recordings: :class:`~sklearn.model_selection.GroupKFold` with the
recording ids of ``data.groups``. The strong modality is routed to the SEW step
with metadata routing.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sewlearn import SEWRegressor, ccc_scorer
from sewlearn.datasets import make_recola_like

data = make_recola_like(
    n_recordings=4, n_frames=600, partitions=("train",), random_state=0
)
# Routing on for this block only: config_context restores the setting even
# if something inside raises.
with sklearn.config_context(enable_metadata_routing=True):
    pipe = make_pipeline(
        StandardScaler(),
        SEWRegressor(optimizer="adam", max_epochs=5, random_state=0).set_fit_request(
            X_strong=True
        ),
    )
    cv = cross_validate(
        pipe,
        data.features.audio,  # weak for valence
        data.targets.valence,
        cv=GroupKFold(n_splits=4),
        scoring=ccc_scorer,
        params={"X_strong": data.features.video_geometric, "groups": data.groups},
    )
print("CCC per held-out recording:", np.round(cv["test_score"], 3))

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(np.arange(1, 5), cv["test_score"])
ax.set_xlabel("held-out recording (fold)")
ax.set_ylabel("CCC, valence from audio")
fig.tight_layout()
