"""Reading a model folder's JSON: parsing with the nesting bounded, and type checks of
every field, each failing with one clear :class:`~allegations.errors.ModelIntegrityError`."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..errors import ModelIntegrityError

__all__ = ["parse_json", "FieldChecker"]


def parse_json(text: bytes, where: str) -> Any:
    """Parse a model folder's JSON file.

    A nesting bomb ends in the parser's own recursion limit, refused like any other
    malformed file.

    Raises
    ------
    ModelIntegrityError
    """
    try:
        return json.loads(text.decode("utf-8"))
    except RecursionError:
        raise ModelIntegrityError(
            f"{where} nests too deeply; it was not written by allegations. Retrain the model."
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise ModelIntegrityError(f"{where} is not valid JSON; retrain the model.") from None


class FieldChecker:
    """Type checks of ``model.json`` fields, each failing with one clear message."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, what: str) -> ModelIntegrityError:
        return ModelIntegrityError(f"{self.where}: {what}; retrain the model.")

    def mapping(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{name} is not an object")
        return value

    def strings(self, value: Any, name: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{name} is not a list of strings")
        return value

    def pairs(self, value: Any, name: str) -> list[tuple[str, str]]:
        if not isinstance(value, list) or not all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) for s in v)
            for v in value
        ):
            raise self.fail(f"{name} is not a list of [chunk, form] pairs")
        return [(v[0], v[1]) for v in value]

    def boolean(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{name} is not true or false")
        return value

    def integer(self, value: Any, name: str, low: int) -> int:
        if type(value) is not int or not low <= value <= 1_000_000:
            raise self.fail(f"{name} is not a whole number from {low}")
        return value

    def number(self, value: Any, name: str) -> float:
        if type(value) not in (int, float) or not np.isfinite(value):
            raise self.fail(f"{name} is not a finite number")
        return float(value)

    def kind(self, arr: np.ndarray, name: str, kind: str, ndim: int) -> None:
        if arr.dtype.kind != kind or arr.ndim != ndim:
            raise self.fail(f"array {name} has dtype {arr.dtype} and {arr.ndim} dimension(s)")

    def shape(self, arr: np.ndarray, name: str, shape: tuple[int, ...]) -> None:
        if arr.shape != shape:
            raise self.fail(f"array {name} has shape {arr.shape}, expected {shape}")

    def ranged(self, arr: np.ndarray, name: str, high: int, sorted_: bool = True) -> None:
        if len(arr) and (arr.min() < 0 or arr.max() >= high):
            raise self.fail(f"array {name} indexes outside 0..{high - 1}")
        if sorted_ and len(arr) > 1 and np.any(np.diff(arr) <= 0):
            raise self.fail(f"array {name} is not strictly increasing")
