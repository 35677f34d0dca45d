"""The exception hierarchy of allegations: the only home of exception classes.

Each class also inherits the builtin a caller would expect, so library users can catch
``ValueError`` or ``FileNotFoundError`` without importing this module. Messages name the
value, what was expected and the fix; they never contain narrative text.
"""

from __future__ import annotations

__all__ = [
    "AllegationsError",
    "InputError",
    "ColumnError",
    "LabelError",
    "CodebookError",
    "ModelError",
    "ModelIntegrityError",
    "OutputError",
    "StoreError",
    "NoFeaturesError",
    "BadRecordError",
]


class AllegationsError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(AllegationsError, ValueError):
    """An input table cannot be read or does not have the expected shape."""


class MissingFileError(InputError, FileNotFoundError):
    """A named input file does not exist."""


class ColumnError(InputError, KeyError):
    """A column named by the user is not in the table."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LabelError(InputError):
    """Labels are missing, unknown, or too few to train on."""


class CodebookError(AllegationsError, ValueError):
    """The codebook file is missing, malformed or inconsistent."""


class ModelError(AllegationsError, ValueError):
    """A model folder cannot be used: missing, unreadable, or for other labels."""


class ModelIntegrityError(ModelError):
    """A model file does not match its manifest (changed, missing, other versions)."""


class OutputError(AllegationsError, OSError):
    """An output file cannot be written."""


class StoreError(AllegationsError, ValueError):
    """A review store cannot be used: not a store, damaged, or made for other labels."""


class BadRecordError(InputError):
    """A record of an input table is malformed (wrong field count, open quote, bad JSON).

    Attributes
    ----------
    record : int
        The data record number (first record after the header = 1).
    """

    def __init__(self, message: str, record: int = 0) -> None:
        super().__init__(message)
        self.record = record


class NoFeaturesError(InputError):
    """No word, word pair or affix occurs often enough in the training texts to learn from."""
