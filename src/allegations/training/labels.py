"""Turn label columns of a table into label sets, and label sets into a 0/1 matrix.

Two layouts are read:

* one column holding several labels joined by a separator (``"query; disclosure"``);
  surrounding spaces and case variants of one label count as the same label;
* one column per label whose cells are truthy (``1, true, yes, y, x``) or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import ColumnError, LabelError

__all__ = [
    "TRUTHY",
    "label_key",
    "parse_label_string",
    "labels_from_column",
    "labels_from_columns",
    "canonical_labels",
    "to_matrix",
]

TRUTHY = frozenset({"1", "1.0", "true", "t", "yes", "y", "x"})


def label_key(label: str) -> str:
    """Return the matching key of a label: case-folded, inner spaces collapsed."""
    return " ".join(str(label).split()).casefold()


def parse_label_string(value: object, sep: str = ";") -> list[str]:
    """Split one cell of a labels column into its labels, stripped, empties dropped.

    Parameters
    ----------
    value : object
        The cell; None, NaN and blank strings mean no label.
    sep : str
        The separator between labels.

    Returns
    -------
    list of str
        The labels in the order they appear, without duplicates by :func:`label_key`.
    """
    if value is None or (isinstance(value, float) and value != value):
        return []
    if not sep:
        raise LabelError("The label separator is empty; pass a separator such as --label-sep ';'.")
    seen: dict[str, str] = {}
    for part in str(value).split(sep):
        label = " ".join(part.split())
        if label and label_key(label) not in seen:
            seen[label_key(label)] = label
    return list(seen.values())


def labels_from_column(
    df: pd.DataFrame, column: str, sep: str = ";", *, source: str = "the table"
) -> list[list[str]]:
    """Read label sets from one column of joined labels.

    Raises
    ------
    ColumnError
        If the column is not in ``df``.
    """
    _require(df, [column], source, "--labels-col")
    return [parse_label_string(v, sep) for v in df[column].tolist()]


def labels_from_columns(
    df: pd.DataFrame, columns: Sequence[str], *, source: str = "the table"
) -> list[list[str]]:
    """Read label sets from one truthy/falsy column per label; the column name is the label."""
    if not columns:
        raise LabelError("No label columns were given; pass --label-cols A,B,C.")
    _require(df, list(columns), source, "--label-cols")
    flags = (
        np.column_stack(
            [
                df[c].map(lambda v: str(v).strip().casefold() in TRUTHY).to_numpy(bool)
                for c in columns
            ]
        )
        if len(df)
        else np.zeros((0, len(columns)), bool)
    )
    names = [" ".join(str(c).split()) for c in columns]
    return [[names[j] for j in np.flatnonzero(row)] for row in flags]


def canonical_labels(
    label_sets: Iterable[Sequence[str]], known: Sequence[str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Map every label to one spelling and list the label names in a stable order.

    With ``known`` (codebook labels) each label maps to the codebook spelling and the
    order is the codebook's; a label outside it raises. Without, the most frequent
    spelling of each key wins (ties: alphabetical), and labels are sorted by key.

    Returns
    -------
    (labels, label_sets)
        The label names, and the label sets rewritten in canonical spellings.

    Raises
    ------
    LabelError
        If ``known`` is given and a label is not in it.
    """
    sets = [list(s) for s in label_sets]
    spellings: dict[str, Counter[str]] = {}
    for labels in sets:
        for label in labels:
            spellings.setdefault(label_key(label), Counter())[label] += 1
    if known is not None:
        canon = {label_key(k): k for k in known}
        unknown = sorted(set(spellings) - set(canon))
        if unknown:
            shown = ", ".join(repr(spellings[k].most_common(1)[0][0]) for k in unknown[:10])
            raise LabelError(
                f"{len(unknown)} label(s) in the data are not in the codebook: {shown}. "
                f"Codebook labels are: {', '.join(known)}. Fix the labels, add them to the "
                "codebook, or train without --codebook."
            )
        order = list(known)
    else:
        canon = {k: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for k, c in spellings.items()}
        order = [canon[k] for k in sorted(canon)]
    rewritten = [[canon[label_key(label)] for label in labels] for labels in sets]
    return order, rewritten


def to_matrix(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Return the (n_rows, n_labels) 0/1 indicator matrix of ``label_sets``."""
    index = {label_key(label): j for j, label in enumerate(labels)}
    y = np.zeros((len(label_sets), len(labels)), dtype=np.int8)
    for i, row in enumerate(label_sets):
        for label in row:
            j = index.get(label_key(label))
            if j is not None:
                y[i, j] = 1
    return y


def _require(df: pd.DataFrame, columns: list[str], source: str, option: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnError(
            f"Column {', '.join(repr(c) for c in missing)} not found in {source}; columns are: "
            f"{', '.join(map(str, df.columns))}. Pass {option}."
        )
