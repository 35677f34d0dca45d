"""The columns a caller needs: a missing one is named with the columns there are."""

from __future__ import annotations

import pandas as pd
import pytest

from allegations.errors import ColumnError
from allegations.tables._columns import require_column

FRAME = pd.DataFrame({"id": ["007", "2"], "text": ["Agent ran a plate, then left.", 'ÉLAN "q"']})


def test_require_column_lists_columns():
    with pytest.raises(
        ColumnError,
        match="Column 'narrative' not found in cases.csv; columns are: id, text. Pass `text_col`.",
    ):
        require_column(FRAME, "narrative", "cases.csv", "text_col")
