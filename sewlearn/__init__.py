"""sewlearn: Stronger Enhancing Weaker (SEW) for scikit-learn.

Multimodal training, unimodal testing: :class:`SEWRegressor` trains a weak
modality's encoder with the help of a strong modality, then predicts from the
weak modality alone.
"""

from . import datasets, metrics
from ._sew import SEWRegressor
from .metrics import binary_accuracy_score, ccc_score, ccc_scorer

__version__ = "0.1.0"

__all__ = [
    "SEWRegressor",
    "binary_accuracy_score",
    "ccc_score",
    "ccc_scorer",
    "datasets",
    "metrics",
    "__version__",
]
