"""The inputs of a Dask run: a file, a glob of files or a Parquet folder, read as a
``dask.dataframe`` of text cells, and what the run summary records about them.

CSV, TSV and JSON Lines give one partition per file (so quoted line breaks are never
split); Parquet gives one partition per row group.
"""

from __future__ import annotations

import glob as _glob
import hashlib
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, MissingFileError
from ..tables import (
    SNIFF_CHARS,
    TableOptions,
    cell_text,
    detect_sep,
    load_table,
    scan_file,
    table_format,
)

__all__ = ["resolve_inputs", "read_inputs", "InputInfo"]

log = logging.getLogger("allegations.batch._dask_engine")


def resolve_inputs(data: str | Path) -> tuple[list[Path], str]:
    """Expand a file, a glob or a Parquet folder into files and their common format.

    Raises
    ------
    MissingFileError
        If nothing matches.
    InputError
        If the files are of several formats, or a folder holds no Parquet file.
    """
    text = str(data)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise InputError(
                f"Folder {path} holds no .parquet files; pass a Parquet folder, a file or a glob."
            )
        return files, "parquet"
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in _glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise MissingFileError(f"No file matches {text}; check the pattern.")
    elif path.exists():
        files = [path]
    else:
        raise MissingFileError(f"File {path} not found; check the path.")
    formats = {table_format(p) for p in files}
    if len(formats) > 1:
        raise InputError(
            f"{text} matches files of several formats ({', '.join(sorted(formats))}); "
            "pass files of one format."
        )
    fmt = formats.pop()
    if fmt == "xlsx":
        raise InputError("The Dask engine does not read .xlsx; use the local engine or export CSV.")
    return files, fmt


def _text_cells(df: pd.DataFrame) -> pd.DataFrame:
    df.columns = [str(c) for c in df.columns]
    return df.map(cell_text) if len(df.columns) else df


def read_inputs(files: list[Path], fmt: str, table: TableOptions) -> Any:
    """Read ``files`` (all of format ``fmt``) as one ``dask.dataframe`` of text cells."""
    import dask.dataframe as dd
    from dask import delayed

    names = [str(p) for p in files]
    if fmt in ("csv", "tsv"):
        encoding = table.encoding
        if encoding is None:
            encoding = "utf-8-sig"
            for p in files:
                if not scan_file(p)[1]:
                    encoding = "cp1252"
                    log.warning("%s is not UTF-8; read it as cp1252. Pass `encoding`.", p.name)
                    break
        sep = table.sep
        if sep is None:
            with open(files[0], encoding=encoding, errors="replace", newline="") as fh:
                for _ in range(table.skip_rows):
                    fh.readline()
                sep = detect_sep(fh.read(SNIFF_CHARS), "," if fmt == "csv" else "\t")
        layout: dict[str, Any] = {"sep": sep, "skiprows": table.skip_rows or None}
        if table.no_header:
            width = len(load_table(files[0], table).columns)
            layout.update(header=None, names=[f"column_{i}" for i in range(1, width + 1)])
        return dd.read_csv(
            names,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding,
            blocksize=None,
            **layout,
        )
    if fmt == "parquet":
        ddf = dd.read_parquet(names, split_row_groups=True)
        return ddf.map_partitions(_text_cells, meta=pd.DataFrame(columns=list(ddf.columns)))
    parts = [delayed(load_table)(p, table) for p in files]
    first = load_table(files[0], table)
    return dd.from_delayed(parts, meta=first.iloc[:0], verify_meta=False)


class InputInfo:
    """What the summary records about the inputs of a Dask run."""

    def __init__(self, files: list[Path], fmt: str) -> None:
        self.path = files[0] if len(files) == 1 else files[0].parent
        self.format = fmt
        self.files = [{"name": p.name, "sha256": scan_file(p)[0]} for p in files]
        self.sha256 = (
            self.files[0]["sha256"]
            if len(files) == 1
            else hashlib.sha256("".join(f["sha256"] for f in self.files).encode()).hexdigest()
        )
        self.skipped: dict[str, int] = {}
