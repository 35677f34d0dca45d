"""Put a file into place atomically: write a temporary file beside the destination, fsync
it and rename it over the destination.

* :func:`atomic_write`: a whole file; any failure (no permission, disk full) removes the
  temporary file and raises :class:`~allegations.errors.OutputError`, so no partial file
  is ever left behind;
* :func:`partial_output`: a file written chunk by chunk, named ``.<name>.<random>.partial``
  and locked while open; a run killed with SIGKILL cannot remove its temporary file, so
  the next run writing the same destination removes such leftovers
  (:func:`remove_stale_partials`: only files no live run holds locked).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError

__all__ = [
    "atomic_write",
    "check_output_path",
    "fsync_folder",
    "write_failure",
    "partial_output",
    "remove_stale_partials",
    "PARTIAL_SUFFIX",
]

log = logging.getLogger("allegations.tables._stream")

PARTIAL_SUFFIX = ".partial"


def write_failure(path: Path, exc: OSError) -> str:
    """The message for an ``OSError`` raised writing ``path`` (disk full, no permission...)."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"Cannot write {path}: the disk is full ({reason}). Free some space or choose "
            "another `out`; nothing was written."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Cannot write {path} ({reason}); the folder is not writable. Choose another "
            "`out`; nothing was written."
        )
    if exc.errno == errno.EISDIR or path.is_dir():
        return f"Cannot write {path}: it is a folder. Choose a file name for `out`."
    return f"Cannot write {path} ({reason}); check the folder and free disk space."


class _Kept(Exception):  # noqa: N818 (internal signal: the temporary file is kept)
    pass


def check_output_path(
    path: str | Path, parameter: str = "out", *, inputs: Iterable[str | Path] = ()
) -> Path:
    """Check that an output can be written to ``path`` before any work is done: its folder
    exists, it is not a folder, and it is none of the ``inputs``.

    ``parameter`` is the option the user gave it as (named in the message).

    Raises
    ------
    OutputError
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if any(path.resolve() == Path(p).resolve() for p in inputs):
        raise OutputError(f"`{parameter}` {path} is an input file; choose another path.")
    if not folder.is_dir():
        raise OutputError(
            f"Folder {folder} does not exist; create it or choose another `{parameter}`."
        )
    if path.is_dir():
        raise OutputError(
            f"Cannot write {path}: it is a folder. Choose a file name for `{parameter}`."
        )
    return path


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it into place.

    On any exception the temporary file is removed and ``path`` is left as it was, except
    when the rename is refused because ``path`` is open elsewhere (Windows): then the
    complete temporary file is kept and the error names it.

    Raises
    ------
    OutputError
        If the destination folder does not exist or cannot be written, or the disk is
        full (any ``OSError`` while writing, syncing or renaming).
    """
    path = check_output_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(write_failure(path, exc)) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp_name, path)
        except PermissionError as exc:
            if not path.exists():
                raise
            # Windows refuses to replace a file that another program (Excel) holds open
            # (bpo-46003): keep the complete new file and say how to finish.
            raise _Kept(
                f"Cannot replace {path} ({exc.strerror or 'permission denied'}); it may be "
                f"open in another program such as Excel. The new output is complete in "
                f"{tmp_name}: close the program and rename that file, or choose another `out`."
            ) from None
    except _Kept as kept:
        raise OutputError(str(kept)) from None
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(write_failure(path, exc)) from None
        raise
    fsync_folder(folder)  # make the rename itself durable (POSIX)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so that a rename in it survives a power loss."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_partials(path: str | Path) -> int:
    """Remove temporary files that killed runs left beside ``path``; return how many.

    Only files named ``.<name>.*.partial`` that no running process holds locked are
    removed (without ``fcntl``, on Windows, nothing is removed).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return 0
    removed = 0
    for candidate in folder.glob(f".{path.name}.*{PARTIAL_SUFFIX}"):
        try:
            fd = os.open(candidate, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live run holds it
            os.close(fd)
            continue
        try:
            candidate.unlink()
            removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    if removed:
        log.info("Removed %d temporary file(s) left by an interrupted run.", removed)
    return removed


@contextlib.contextmanager
def partial_output(path: str | Path) -> Iterator[IO[bytes]]:
    """Open ``.<name>.<random>.partial`` beside ``path``; on success fsync and rename it.

    The file is locked for as long as it is open, so that :func:`remove_stale_partials`
    tells a live run's file from an abandoned one. On any exception (including
    KeyboardInterrupt) the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    OutputError
        If the destination folder does not exist or cannot be written.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"Folder {folder} does not exist; create it or choose another `out`.")
    remove_stale_partials(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=folder)
    except OSError as exc:
        raise OutputError(
            f"Cannot write to {folder} ({exc.strerror}); choose another `out`."
        ) from None
    try:
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp_name, path)  # still locked: no cleaner can remove it first
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_folder(folder)  # make the rename itself durable (POSIX)
