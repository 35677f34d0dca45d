"""Read Parquet (and any Arrow table or record batch) as text cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ._checks import ReadReport, check_header, show_name
from ._frames import cell_text, strip_nul_reported

__all__ = ["arrow_text_frame", "read_parquet"]


def arrow_text_frame(table: Any, columns: list[str], source: str) -> pd.DataFrame:
    """Turn an Arrow table or record batch into a frame of text cells.

    Dictionary columns are decoded, binary columns must hold UTF-8 text, and every other
    value becomes its text (as :func:`load_table` gives for Parquet).

    Raises
    ------
    InputError
        If a binary or text column holds bytes that are not UTF-8.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    data: dict[str, Any] = {}
    for name, column in zip(columns, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = column.type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            try:
                column = pc.cast(column, pa.large_string())
            except pa.ArrowInvalid:
                raise InputError(
                    f"Column {show_name(name)} of {source} holds bytes that are not UTF-8 "
                    "text; convert it to text before tagging."
                ) from None
        try:
            values = column.to_pylist()
        except UnicodeDecodeError:  # a text column whose bytes are not UTF-8
            raise InputError(
                f"Column {show_name(name)} of {source} holds bytes that are not UTF-8 "
                "text; re-export the file with UTF-8 text."
            ) from None
        data[name] = pd.array([cell_text(v) for v in values], dtype="str")
    return pd.DataFrame(data, columns=columns)


def read_parquet(path: Path, report: ReadReport) -> pd.DataFrame:
    """Read a whole Parquet file as text cells (see :func:`arrow_text_frame`)."""
    import pyarrow.parquet as pq

    try:
        names = pq.ParquetFile(path).schema_arrow.names
    except Exception as exc:  # pyarrow raises several unrelated types
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    columns = check_header(names, path.name)
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    df = arrow_text_frame(table, columns, path.name)
    report.n_records = len(df)
    return strip_nul_reported(df, path.name, report)
