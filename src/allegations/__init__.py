"""allegations: tag free-text misconduct allegation narratives with categories.

Train a multi-label classifier on hand-labelled narratives, batch-tag new records
releases, and review the low-confidence predictions.

>>> from allegations import train, load_model          # doctest: +SKIP
>>> model = train(texts, label_sets)                    # doctest: +SKIP
>>> model.predict(["SA queried TECS on his ex-wife"])   # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .errors import AllegationsError
from .model import Tagger, load_model, save_model
from .review import select
from .training import Codebook, evaluate, load_codebook, train

__all__ = [
    "__version__",
    "AllegationsError",
    "Codebook",
    "Tagger",
    "evaluate",
    "load_codebook",
    "load_model",
    "save_model",
    "select",
    "train",
]
