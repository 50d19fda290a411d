"""Data sets: the AVEC 2016 RECOLA loader and a RECOLA-like generator.

* :func:`make_recola_like`: synthetic data with the shape of AVEC 2016
  RECOLA (partitions, recordings, 40 ms frames, three modalities with the
  baseline feature dimensions) and the modality strengths of the SEW paper's
  Table 1;
* :func:`load_avec2016`: the real baseline features and gold-standard
  ratings, read from the folders that the challenge distributes.

Both return the same :class:`~sklearn.utils.Bunch` structure.
"""

from ._avec import load_avec2016
from ._recola import make_recola_like

__all__ = ["make_recola_like", "load_avec2016"]
