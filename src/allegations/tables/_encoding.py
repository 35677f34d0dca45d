"""Choose the text encoding of a delimited file and check that all of it decodes.

:func:`detect_encoding`: strict UTF-8 (BOM-aware), UTF-16/32 by byte-order mark, else
strict Windows-1252 with a warning naming the encoding and the ``encoding`` option; never
a silent Latin-1; mixed encodings and undecodable bytes are refused with the byte offset
and line.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ._checks import _CHUNK

__all__ = ["detect_encoding"]

log = logging.getLogger("allegations.tables._read")


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass
class _Scan:
    error_offset: int | None = None
    error_byte: int = 0
    error_line: int = 0


def _scan(path: Path, encoding: str) -> _Scan:
    """Strictly decode the whole file in chunks; note the first failure."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    scan = _Scan()
    offset = 0
    n_lines = 1
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            final = not block
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                start = max(exc.start - pending, 0)
                scan.error_offset = offset - pending + exc.start
                bad = exc.object[exc.start : exc.start + 1]
                scan.error_byte = bad[0] if bad else 0
                scan.error_line = n_lines + block[:start].count(b"\n")
                return scan
            if final:
                return scan
            n_lines += block.count(b"\n")
            offset += len(block)


def _first_utf8_line(path: Path) -> int | None:
    """The line of the first well-formed multi-byte UTF-8 sequence, if any.

    Only called on a file that is not valid UTF-8: finding such a sequence there means two
    encodings are mixed (real cp1252 text almost never forms one).
    """
    n_lines = 1
    tail = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            data = tail + block
            found = _UTF8_MULTIBYTE.search(data)
            if found:
                return n_lines + data[: found.start()].count(b"\n")
            keep = min(3, len(data))  # a sequence may straddle two blocks
            tail = data[len(data) - keep :]
            n_lines += data[: len(data) - keep].count(b"\n")
    return None


def _looks_like_bomless_utf16(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if len(head) < 4:
        return False
    odd = head[1::2].count(0) / max(len(head[1::2]), 1)
    even = head[0::2].count(0) / max(len(head[0::2]), 1)
    return max(odd, even) > 0.4 and min(odd, even) < 0.1


def detect_encoding(path: str | Path, encoding: str | None = None) -> tuple[str, bool]:
    """Choose the text encoding of a delimited file and check that all of it decodes.

    Without ``encoding``: a UTF-16/UTF-32 byte-order mark selects that encoding; else the
    file must be strict UTF-8 (BOM or not) or, failing that, strict Windows-1252, which
    logs a warning naming the encoding and the ``encoding`` option. Latin-1 is never guessed
    (it accepts any byte, so it cannot fail and hides mistakes).

    Parameters
    ----------
    path : str or Path
    encoding : str, optional
        A Python codec name chosen by the user; the whole file is checked against it.

    Returns
    -------
    (encoding, warned)
        The codec name to read with, and True when a fallback was chosen with a warning.

    Raises
    ------
    InputError
        Unknown codec; bytes that do not decode (with byte offset and line); a file that
        mixes UTF-8 and another encoding; UTF-16 without a byte-order mark.
    """
    path = Path(path)
    name = path.name
    if encoding:
        try:
            "".encode(encoding)  # also refuses bytes-to-bytes codecs such as base64
        except LookupError:
            raise InputError(
                f"Unknown encoding '{encoding}'; pass a Python codec name such as "
                "utf-8 or cp1252 to `encoding`."
            ) from None
        scan = _scan(path, encoding)
        if scan.error_offset is not None:
            raise InputError(
                f"{name} is not valid {encoding} text: byte 0x{scan.error_byte:02x} at offset "
                f"{scan.error_offset} (line {scan.error_line}) does not decode. Pass the right "
                "`encoding` (for example utf-8, cp1252 or utf-16)."
            )
        return encoding, False
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return detect_encoding(path, "utf-32")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return detect_encoding(path, "utf-16")
    if _looks_like_bomless_utf16(path):
        raise InputError(
            f"{name} looks like UTF-16 text without a byte-order mark (every other byte is "
            "0); pass `encoding` utf-16-le (or utf-16-be)."
        )
    scan = _scan(path, "utf-8-sig")
    if scan.error_offset is None:
        return "utf-8-sig", False
    where = f"byte 0x{scan.error_byte:02x} at offset {scan.error_offset}, line {scan.error_line}"
    utf8_line = _first_utf8_line(path)
    if utf8_line is not None:
        raise InputError(
            f"{name} mixes encodings: line {utf8_line} holds UTF-8 text, but {where} is not "
            "UTF-8 (often two exports joined together). Re-save the file in one encoding, or "
            "pass `encoding` to read all of it one way."
        )
    fallback = _scan(path, "cp1252")
    if fallback.error_offset is not None:
        cp_where = (
            f"byte 0x{fallback.error_byte:02x} at offset {fallback.error_offset}, line "
            f"{fallback.error_line}"
        )
        detail = (
            f"{where} is valid in neither"
            if cp_where == where
            else f"{where} is not UTF-8 and {cp_where} is undefined in Windows-1252"
        )
        raise InputError(
            f"{name} is neither UTF-8 nor Windows-1252 text: {detail}. Pass the right "
            "`encoding` (for example latin-1 or utf-16)."
        )
    log.warning(
        "%s is not UTF-8 (%s); read it as cp1252 (Windows-1252). Pass `encoding` to choose "
        "another encoding.",
        name,
        where,
    )
    return "cp1252", True
