"""
===============================
DeepCCA against linear CCA
===============================

Two views of the same digits: the left and the right half of each 8x8 image
(scikit-learn's digits, the protocol of Andrew et al. 2013 on MNIST halves).
:class:`~sewlearn.DeepCCA` learns nonlinear encoders of both halves whose
outputs are maximally correlated; linear CCA can only rotate the pixels.
``score`` is the mean held-out canonical correlation.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cross_decomposition import CCA
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sewlearn import DeepCCA

images = load_digits().images
left = images[:, :, :4].reshape(len(images), -1)
right = images[:, :, 4:].reshape(len(images), -1)
L_train, L_test, R_train, R_test = train_test_split(
    left, right, test_size=0.3, random_state=0
)
x_scaler, y_scaler = StandardScaler().fit(L_train), StandardScaler().fit(R_train)
L_train, L_test = x_scaler.transform(L_train), x_scaler.transform(L_test)
R_train, R_test = y_scaler.transform(R_train), y_scaler.transform(R_test)

k = 5
linear = CCA(n_components=k, max_iter=2000).fit(L_train, R_train)
deep = DeepCCA(n_components=k, max_epochs=40, random_state=0).fit(L_train, R_train)


def held_out_correlations(model):
    a, b = model.transform(L_test, R_test)
    return np.array([np.corrcoef(a[:, i], b[:, i])[0, 1] for i in range(k)])


results = {
    "linear CCA": held_out_correlations(linear),
    "DeepCCA": held_out_correlations(deep),
}
for name, corr in results.items():
    print(f"{name:>10}: held-out correlations {np.round(corr, 3)}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
for name, corr in results.items():
    ax.plot(np.arange(1, k + 1), corr, "o-", label=name)
ax.set_xlabel("canonical pair")
ax.set_ylabel("held-out correlation")
ax.set_xticks(np.arange(1, k + 1))
ax.legend()
fig.tight_layout()
