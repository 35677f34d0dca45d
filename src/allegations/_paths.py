"""Where the shipped model and the bundled data are, whatever the working folder.

They live at the top of the project (``models/default``, ``data/``), beside ``src/``; a
source checkout or an editable install (``make install``) finds them from this file. A
wheel carries them as data files (``pyproject.toml``, ``[tool.setuptools.data-files]``),
installed under ``<prefix>/share/allegations/``, where an installed copy finds them.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The project folder of a source checkout (``src/allegations/_paths.py`` -> the top).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Where a wheel install puts the shipped model and the bundled data.
INSTALLED_SHARE = Path(sys.prefix) / "share" / "allegations"


def _shared(*parts: str) -> Path:
    """``parts`` under the source checkout, else under the installed share folder."""
    checkout = PROJECT_ROOT.joinpath(*parts)
    if checkout.exists():
        return checkout
    installed = INSTALLED_SHARE.joinpath(*parts)
    return installed if installed.exists() else checkout
#: The name that stands for the shipped model wherever a model folder is asked for.
DEFAULT_MODEL_NAME = "default"


def shipped_model() -> Path:
    """The folder of the shipped default model (``models/default`` of the project)."""
    return _shared("models", DEFAULT_MODEL_NAME)


def bundled_data() -> Path:
    """The folder of the bundled sample, release and codebook (``data/`` of the project)."""
    return _shared("data")


def model_folder(name: str | Path) -> Path:
    """The model folder ``name`` stands for: the folder itself when it exists, otherwise,
    for ``default`` or ``models/default`` (the README's spelling), the shipped model."""
    path = Path(name)
    if path.exists():
        return path
    if str(name) == DEFAULT_MODEL_NAME or path.as_posix() == f"models/{DEFAULT_MODEL_NAME}":
        return shipped_model()
    return path
