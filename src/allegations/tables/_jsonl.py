"""Read JSON Lines: one JSON object per line, checked line by line, as text cells.

Each line must be UTF-8 and one JSON object, without a key twice, ``NaN`` or a lone
surrogate; a bad line stops the read with its line and record numbers, or with
``on_bad_rows="skip"`` is left out and counted. Keys missing from a row are empty cells;
lists and objects become their JSON text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import BadRecordError, InputError
from ._checks import OnBadRows, ReadReport, check_header, show_name
from ._frames import cell_text, strip_nul_reported

__all__ = ["iter_jsonl_objects", "jsonl_frame", "read_jsonl"]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKey(sorted({k for k in keys if keys.count(k) > 1}))
    return dict(pairs)


class _DuplicateKey(Exception):  # noqa: N818 (internal signal, never escapes)
    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = keys


def iter_jsonl_objects(
    path: Path, on_bad_rows: OnBadRows, report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSON Lines file, checking each line.

    ``report.n_records`` is the record number of the object just yielded (blank lines are
    not records). Malformed lines raise :class:`BadRecordError` or, with
    ``on_bad_rows="skip"``, are counted in ``report.skipped``.

    Raises
    ------
    InputError
        If the file holds no JSON line at all.
    """
    record = 0
    with open(path, "rb") as fh:
        for lineno, raw_line in enumerate(fh, start=1):
            if lineno == 1 and raw_line.startswith(codecs.BOM_UTF8):
                raw_line = raw_line[len(codecs.BOM_UTF8) :]
            if not raw_line.strip():
                continue
            record += 1
            report.n_records = record
            problem, reason = "", ""
            try:
                obj = json.loads(
                    raw_line.decode("utf-8", errors="strict"),
                    parse_constant=_no_constant,
                    object_pairs_hook=_unique_keys,
                )
                if not isinstance(obj, dict):
                    problem, reason = (
                        'is not a JSON object; each line must be an object such as {"text": "..."}',
                        "not a JSON object",
                    )
                elif _SURROGATE_ESCAPE.search(raw_line) and not _is_unicode(obj):
                    problem, reason = (
                        "holds a \\u escape of half a character (a lone surrogate, "
                        "\\ud800-\\udfff without its pair), which is not text",
                        "lone surrogate",
                    )
            except UnicodeDecodeError:
                problem, reason = "is not valid UTF-8 (JSON Lines must be UTF-8)", "not UTF-8"
            except _DuplicateKey as exc:
                problem = f"has the key {', '.join(map(show_name, exc.keys))} more than once"
                reason = "duplicate key"
            except (ValueError, RecursionError):
                problem, reason = "is not valid JSON", "not valid JSON"
            if problem:
                if on_bad_rows == "error":
                    raise BadRecordError(
                        f"{path.name} line {lineno} {problem} (record {record}). Fix or remove "
                        "that line, or pass `on_bad_rows` skip to leave out bad lines (they "
                        "are counted and listed by number).",
                        record,
                    )
                report.skipped[record] = reason
                continue
            yield obj
    if not record:
        raise InputError(f"{path.name} is empty: it has no JSON lines.")


#: A JSON ``\\u`` escape of a surrogate (half of a UTF-16 pair); a pair decodes to one
#: character, a lone one to a string that cannot be written as UTF-8.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _is_unicode(obj: Any) -> bool:
    """True when every string in ``obj`` can be written as UTF-8 (no lone surrogate)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def jsonl_frame(objects: list[dict[str, Any]], source: str) -> pd.DataFrame:
    """The text frame of parsed JSON Lines objects (keys missing from a row are empty)."""
    df = pd.DataFrame(objects)
    check_header(df.columns, source)
    df = df.map(cell_text) if len(df.columns) else df
    return df.fillna("")


def read_jsonl(path: Path, on_bad_rows: OnBadRows, report: ReadReport) -> pd.DataFrame:
    """Read a whole JSON Lines file as text cells (see :func:`iter_jsonl_objects`)."""
    df = jsonl_frame(list(iter_jsonl_objects(path, on_bad_rows, report)), path.name)
    return strip_nul_reported(df, path.name, report)
