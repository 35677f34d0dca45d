"""The table formats, decided once from a file's extension."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from ._checks import table_format

__all__ = ["TableFormat"]


class TableFormat(str, Enum):
    """A table format; ``TableFormat.of(path)`` decides it once from the extension."""

    csv = "csv"
    tsv = "tsv"
    xlsx = "xlsx"
    jsonl = "jsonl"
    parquet = "parquet"

    @classmethod
    def of(cls, path: str | Path, *, for_output: bool = False) -> TableFormat:
        """The format of ``path`` by its extension.

        Raises
        ------
        InputError, OutputError
            If the extension is not a table format (``OutputError`` with ``for_output``).
        """
        return cls(table_format(path, for_output=for_output))

    @property
    def spreadsheet(self) -> bool:
        """Opened by spreadsheets: text cells that begin like a formula are neutralised."""
        return self in (TableFormat.csv, TableFormat.tsv, TableFormat.xlsx)

    @property
    def streamed(self) -> bool:
        """Written chunk by chunk (XLSX is built whole: a sheet holds at most ~1M rows)."""
        return self is not TableFormat.xlsx

    @property
    def nested(self) -> bool:
        """Holds lists and objects (JSON Lines): labels as a list, scores as an object."""
        return self is TableFormat.jsonl
