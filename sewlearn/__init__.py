"""sewlearn: Stronger Enhancing Weaker (SEW) for scikit-learn.

Multimodal training, unimodal testing: :class:`SEWRegressor` trains a weak
modality's encoder with the help of a strong modality, then predicts from the
weak modality alone.
"""

from . import datasets, exceptions, metrics
from ._deepcca import DeepCCA
from ._distill import DistilledClassifier, DistilledRegressor
from ._export import export_model, load_model
from ._sew import PAPER_TRAINING, SEWClassifier, SEWRegressor
from .metrics import binary_accuracy_score, ccc_score, ccc_scorer, paired_gain
from .postprocessing import PostProcessedRegressor

__version__ = "0.1.0"

__all__ = [
    "PAPER_TRAINING",
    "DeepCCA",
    "DistilledClassifier",
    "DistilledRegressor",
    "PostProcessedRegressor",
    "SEWClassifier",
    "SEWRegressor",
    "export_model",
    "load_model",
    "binary_accuracy_score",
    "ccc_score",
    "ccc_scorer",
    "paired_gain",
    "datasets",
    "exceptions",
    "metrics",
    "__version__",
]
