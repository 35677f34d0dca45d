"""``python -m allegations``: the same entry point as the ``allegations`` console script."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
