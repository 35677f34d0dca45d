"""Read and write tables (CSV, TSV, XLSX, JSONL, Parquet); check their columns.

Every cell is read as text (``dtype=str``) so that ids keep their leading zeros and
nothing is guessed. Outputs are written atomically: to a temporary file in the
destination folder, flushed and fsynced, then renamed over the destination; a failure
leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import ColumnError, InputError, MissingFileError, OutputError

__all__ = [
    "FORMATS",
    "table_format",
    "load_table",
    "require_column",
    "write_table",
    "atomic_write",
    "sha256_file",
]

log = logging.getLogger(__name__)

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def table_format(path: str | Path, *, for_output: bool = False) -> str:
    """Return the table format named by the file extension of ``path``.

    Raises
    ------
    InputError
        If the extension is not one of :data:`FORMATS`.
    """
    suffix = Path(path).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        exts = ", ".join(sorted({".csv", ".tsv", ".xlsx", ".jsonl", ".parquet"}))
        what = "output" if for_output else "input"
        err = OutputError if for_output else InputError
        raise err(
            f"Cannot tell the {what} format of {Path(path).name}: extension "
            f"'{suffix or '(none)'}' is not one of {exts}. Rename the file or choose one of those."
        )
    return fmt


def load_table(
    path: str | Path, *, sheet: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Read a whole table with every cell as text (missing cells as empty strings).

    Parameters
    ----------
    path : str or Path
        A .csv, .tsv, .xlsx, .jsonl or .parquet file.
    sheet : str, optional
        XLSX only: the sheet name (default: the first sheet).
    encoding : str, optional
        CSV/TSV only: the text encoding. By default UTF-8 (with or without BOM), then
        Windows-1252 with a logged warning.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    MissingFileError
        If the file does not exist.
    InputError
        If the file cannot be parsed, or has no header row.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"File {path} not found; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a table file; pass a file.")
    fmt = table_format(path)
    if sheet is not None and fmt != "xlsx":
        raise InputError(f"--sheet applies to .xlsx files only, not to {path.name}.")
    try:
        if fmt in ("csv", "tsv"):
            df = _read_delimited(path, "," if fmt == "csv" else "\t", encoding)
        elif fmt == "xlsx":
            df = _read_xlsx(path, sheet)
        elif fmt == "jsonl":
            df = _read_jsonl(path)
        else:
            df = _read_parquet(path)
    except PermissionError:
        raise InputError(f"{path} cannot be read: permission denied.") from None
    df.columns = [str(c) for c in df.columns]
    return df


def _read_delimited(path: Path, sep: str, encoding: str | None) -> pd.DataFrame:
    encodings = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    for i, enc in enumerate(encodings):
        try:
            df = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding=enc,
                encoding_errors="strict",
                engine="c",
            )
        except UnicodeDecodeError as exc:
            if i + 1 < len(encodings):
                continue
            raise InputError(
                f"{path.name} is not valid {enc} text (byte {exc.start}); pass the right "
                "--encoding (for example cp1252 or latin-1)."
            ) from None
        except LookupError:
            raise InputError(
                f"Unknown encoding '{enc}'; pass a Python codec name such as "
                "utf-8 or cp1252 to --encoding."
            ) from None
        except pd.errors.EmptyDataError:
            raise InputError(f"{path.name} is empty: it has no header row.") from None
        except pd.errors.ParserError as exc:
            raise InputError(
                f"{path.name} cannot be parsed: {_parser_detail(exc)}. Check the "
                "quoting of that record."
            ) from None
        if i > 0:
            log.warning(
                "%s is not UTF-8; read it as %s. Pass --encoding to choose.", path.name, enc
            )
        return df
    raise AssertionError("unreachable")  # pragma: no cover


def _parser_detail(exc: Exception) -> str:
    # pandas messages hold positions, never cell text, except for quoted values: keep the
    # first clause only.
    return str(exc).strip().splitlines()[0].split(": '")[0].rstrip(".")


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    import zipfile

    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(
            f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__}); it may be "
            "corrupt or password-protected. Save it again from Excel as .xlsx or export CSV."
        ) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None and sheet not in names:
            raise InputError(
                f"Sheet '{sheet}' not found in {path.name}; sheets are: "
                f"{', '.join(names)}. Pass --sheet."
            )
        target = sheet if sheet is not None else names[0]
        if sheet is None and len(names) > 1:
            log.warning(
                "%s has %d sheets; reading the first, '%s'. Pass --sheet to choose.",
                path.name,
                len(names),
                target,
            )
        df = pd.read_excel(
            book, sheet_name=target, dtype=str, keep_default_na=False, na_filter=False
        )
    return df.fillna("")


def _read_jsonl(path: Path) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8-sig", errors="strict") as fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    raise InputError(
                        f"{path.name} line {lineno} is not valid JSON; fix or remove that line."
                    ) from None
                if not isinstance(obj, dict):
                    raise InputError(
                        f"{path.name} line {lineno} is not a JSON object; each "
                        'line must be an object such as {"text": "..."}.'
                    )
                rows.append(obj)
        except UnicodeDecodeError:
            raise InputError(f"{path.name} is not valid UTF-8; JSON Lines must be UTF-8.") from None
    df = pd.DataFrame(rows)
    return df.map(_cell_text) if len(df.columns) else df


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise InputError(
            f"{path.name} is not a readable Parquet file ({type(exc).__name__})."
        ) from None
    return df.map(_cell_text) if len(df.columns) else df


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def require_column(df: pd.DataFrame, column: str, source: str, option: str) -> None:
    """Raise :class:`ColumnError` naming the existing columns if ``column`` is absent."""
    if column not in df.columns:
        raise ColumnError(
            f"Column '{column}' not found in {source}; columns are: "
            f"{', '.join(map(str, df.columns)) or '(none)'}. Pass {option}."
        )


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it into place.

    On any exception the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    OutputError
        If the destination folder does not exist or cannot be written.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"Folder {folder} does not exist; create it or choose another --out.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"Cannot write to {folder} ({exc.strerror}); choose another --out."
        ) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` atomically in the format named by the extension of ``path``.

    JSON Lines rows are written as they are in ``df``; list and dict cells stay JSON.

    Raises
    ------
    OutputError
        If the format is unknown or the file cannot be written.
    """
    path = Path(path)
    fmt = table_format(path, for_output=True)
    writers: dict[str, Callable[[IO[Any]], None]] = {
        "csv": lambda fh: _write_delimited(df, fh, ","),
        "tsv": lambda fh: _write_delimited(df, fh, "\t"),
        "jsonl": lambda fh: _write_jsonl(df, fh),
        "parquet": lambda fh: df.to_parquet(fh, index=False),
        "xlsx": lambda fh: _write_xlsx(df, fh),
    }
    try:
        with atomic_write(path, "wb") as fh:
            writers[fmt](fh)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(
            f"Cannot write {path} ({exc.strerror or exc}); check the folder and free disk space."
        ) from None


def _write_delimited(df: pd.DataFrame, fh: IO[bytes], sep: str) -> None:
    text = _io.TextIOWrapper(fh, encoding="utf-8", newline="")
    df.to_csv(text, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    text.flush()
    text.detach()


def _write_jsonl(df: pd.DataFrame, fh: IO[bytes]) -> None:
    for record in df.to_dict(orient="records"):
        fh.write(json.dumps(record, ensure_ascii=False, default=_json_default).encode("utf-8"))
        fh.write(b"\n")


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_xlsx(df: pd.DataFrame, fh: IO[bytes]) -> None:
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, dict))).any():
            out[col] = out[col].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    with pd.ExcelWriter(fh, engine="openpyxl") as writer:  # type: ignore[call-overload]
        out.to_excel(writer, index=False)
