"""The numeric half of a model file: ``weights.npz``, read and written without ``pickle``.

Members are stored uncompressed (the archive cannot expand beyond its own size) and with a
fixed time stamp (the same model gives the same bytes). Every size read from a file is
checked before memory is set aside for it: a member's header must promise exactly the
bytes the member holds, of an allowed numeric dtype (no object arrays).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from ..errors import ModelIntegrityError

__all__ = ["write_arrays", "read_arrays"]

_DTYPES = {"<f8", "<f4", "<i8", "<i4"}
_STAMP = (1980, 1, 1, 0, 0, 0)
#: What the zipfile module raises for a damaged or unsupported archive (encrypted or
#: patched members raise RuntimeError and NotImplementedError).
_ARCHIVE_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
)


def write_arrays(fh: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` archive: uncompressed, in sorted order, time stamp
    fixed, so the same arrays always give the same bytes (``numpy.savez`` stamps the
    current time)."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arrays[name], version=(1, 0), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_STAMP)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buf.getvalue())


def read_arrays(
    path: Any, names: frozenset[str] | set[str], *, where: str | None = None
) -> dict[str, np.ndarray]:
    """Read the arrays of a ``weights.npz`` without ``pickle`` and with every size checked.

    The archive must hold exactly ``names`` (each as ``name.npy``), stored uncompressed;
    each member's header must declare an allowed dtype (8- or 4-byte little-endian floats
    or integers) and a shape whose bytes are exactly what the member holds. Only then is
    the data read.

    Raises
    ------
    ModelIntegrityError
    """
    where = where or str(path)
    try:
        archive = zipfile.ZipFile(path)
    except _ARCHIVE_ERRORS:
        raise ModelIntegrityError(
            f"{where} is not a readable array archive; retrain the model."
        ) from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        members = {name.removesuffix(".npy") for name in infos}
        if len(members) != len(infos) or members != set(names):
            extra = sorted(members - set(names))[:3]
            missing = sorted(set(names) - members)[:3]
            raise ModelIntegrityError(
                f"{where} does not hold the expected arrays (unexpected: "
                f"{', '.join(extra) or 'none'}; missing: {', '.join(missing) or 'none'}); "
                "retrain the model."
            )
        out = {}
        for name in sorted(names):
            info = infos[f"{name}.npy"]
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise ModelIntegrityError(
                    f"{where}: array {name} is compressed; this format stores arrays "
                    "uncompressed. Retrain the model."
                )
            try:
                with archive.open(info) as member:
                    out[name] = _read_member(member, info.file_size)
            except ModelIntegrityError as exc:
                raise ModelIntegrityError(
                    f"{where}: array {name} {exc}; retrain the model."
                ) from None
            except _ARCHIVE_ERRORS:
                raise ModelIntegrityError(
                    f"{where}: array {name} is damaged or truncated; retrain the model."
                ) from None
    return out


def _read_member(member: IO[bytes], size: int) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(member, max_header_size=4096)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(member, max_header_size=4096)
    else:
        raise ModelIntegrityError(f"has an unknown header version {version}")
    if dtype.str not in _DTYPES or fortran or len(shape) > 2:
        raise ModelIntegrityError(f"has dtype {dtype.str} and {len(shape)} dimension(s)")
    n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = size - member.tell()
    if n_bytes != held:
        raise ModelIntegrityError(f"claims shape {tuple(shape)} ({n_bytes} bytes) but holds {held}")
    data = bytearray(n_bytes)  # read straight into a writable buffer: one copy
    if member.readinto(data) != n_bytes:  # type: ignore[attr-defined]
        raise ModelIntegrityError("is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape)
