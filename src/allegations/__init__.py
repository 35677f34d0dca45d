"""allegations: tag free-text misconduct allegation narratives with categories.

Train a multi-label classifier on hand-labelled narratives, batch-tag new records
releases, and review the low-confidence predictions.

>>> from allegations import train, load_model          # doctest: +SKIP
>>> model = train(texts, label_sets)                    # doctest: +SKIP
>>> model.predict(["SA queried TECS on his ex-wife"])   # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .codebook import Codebook, load_codebook  # noqa: E402
from .errors import AllegationsError  # noqa: E402
from .persistence import load_model, save_model  # noqa: E402
from .tagger import Tagger  # noqa: E402
from .train import evaluate, train  # noqa: E402

__all__ = [
    "__version__",
    "AllegationsError",
    "Codebook",
    "Tagger",
    "evaluate",
    "load_codebook",
    "load_model",
    "save_model",
    "train",
]
