"""Turn label columns of a table into label sets, and label sets into a 0/1 matrix.

Two layouts are read:

* one column holding several labels joined by a separator (``"query; disclosure"``);
  surrounding spaces and case variants of one label count as the same label;
* one column per label whose cells are truthy (``1, true, yes, y, x``) or not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ColumnError, LabelError
from ..tables import load_table

__all__ = [
    "TRUTHY",
    "label_key",
    "parse_label_string",
    "labels_from_column",
    "labels_from_columns",
    "canonical_labels",
    "to_matrix",
    "label_sort_key",
    "squash_label",
    "similar_labels",
    "check_similar_labels",
    "load_label_names",
    "rename_labels",
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
        raise LabelError("The label separator is empty; pass `label_sep`, such as ';'.")
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
    _require(df, [column], source, "labels_col")
    return [parse_label_string(v, sep) for v in df[column].tolist()]


def labels_from_columns(
    df: pd.DataFrame, columns: Sequence[str], *, source: str = "the table"
) -> list[list[str]]:
    """Read label sets from one truthy/falsy column per label; the column name is the label."""
    if not columns:
        raise LabelError("No label columns were given; pass `label_cols` (e.g. A,B,C).")
    _require(df, list(columns), source, "label_cols")
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
    order is the codebook's; a label outside it raises (naming the codebook label it
    resembles). Without, the most frequent spelling of each key wins (ties:
    alphabetical), and labels are sorted by key, numbers by value (2 before 10).

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
            shown = ", ".join(
                repr(spellings[k].most_common(1)[0][0]) + _did_you_mean(k, list(known))
                for k in unknown[:10]
            )
            raise LabelError(
                f"{len(unknown)} label(s) in the data are not in the codebook: {shown}. "
                f"Codebook labels are: {', '.join(known)}. Fix the labels, add them to the "
                "codebook, or train without `codebook`."
            )
        order = list(known)
    else:
        canon = {k: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for k, c in spellings.items()}
        order = [canon[k] for k in sorted(canon, key=label_sort_key)]
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


def _require(df: pd.DataFrame, columns: list[str], source: str, parameter: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnError(
            f"Column {', '.join(repr(c) for c in missing)} not found in {source}; columns are: "
            f"{', '.join(map(str, df.columns))}. Pass `{parameter}`."
        )


_NUMBER = re.compile(r"(\d+)")


def label_sort_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a label: by :func:`label_key`, runs of digits by their value.

    ``1, 2, 10, 11`` sort as numbers, ``code 2`` before ``code 10``.
    """
    parts = _NUMBER.split(label_key(label))
    return tuple((0, int(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p)


def squash_label(label: str) -> str:
    """A label case-folded with every space and punctuation mark removed."""
    return "".join(ch for ch in str(label).casefold() if ch.isalnum())


#: Labels whose squashed forms are this long or longer are compared by edit distance:
#: at most 1 edit up to LONG_LABEL characters, at most 2 from there on.
MIN_EDIT_CHARS = 5
LONG_LABEL = 12


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b`` (insert, delete, substitute,
    swap two neighbours), or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def _similar(a: str, b: str) -> bool:
    sa, sb = squash_label(a), squash_label(b)
    if sa == sb:
        return True
    if min(len(sa), len(sb)) < MIN_EDIT_CHARS:
        return False
    if _NUMBER.sub("#", sa) == _NUMBER.sub("#", sb):
        return False  # 'code 12' and 'code 13' differ by their numbers only: distinct codes
    if sa.endswith(sb) or sb.endswith(sa):
        return False  # a prefix makes another word: 'resolved' and 'unresolved'
    limit = 1 if min(len(sa), len(sb)) < LONG_LABEL else 2
    return edit_distance(sa, sb, limit) <= limit


def similar_labels(counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """Pairs of label names that look like one label spelt two ways.

    Two names are similar when they are equal after case-folding and removing spaces and
    punctuation, or (both at least MIN_EDIT_CHARS characters so squashed, not differing
    in their numbers only, and not one the other with a prefix) within 1 edit, 2 for
    names of LONG_LABEL characters or more: ``PHYSICAL ABUSSE`` and ``PHYSICAL ABUSE``,
    ``use-of-force`` and ``Use of force``.

    Parameters
    ----------
    counts : mapping of str to int
        Each distinct label name (as canonicalised by :func:`canonical_labels`) and its
        number of cases.

    Returns
    -------
    list of (rare, common)
        The less frequent name first, each pair once, the most frequent common name first.
    """
    names = sorted(counts, key=lambda n: (-counts[n], label_sort_key(n)))
    pairs = []
    for i, common in enumerate(names):
        for rare in names[i + 1 :]:
            if _similar(rare, common):
                pairs.append((rare, common))
    return pairs


def check_similar_labels(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> None:
    """Raise when two of ``labels`` look like one label spelt two ways (a typo).

    Raises
    ------
    LabelError
        Naming each pair with its case counts and "did you mean", and the fix.
    """
    counts = Counter(label_key(label) for row in label_sets for label in row)
    by_name = {label: counts.get(label_key(label), 0) for label in labels}
    pairs = similar_labels(by_name)
    if not pairs:
        return
    shown = "; ".join(
        f"{rare!r} ({by_name[rare]} case{'s' if by_name[rare] != 1 else ''}): did you mean "
        f"{common!r} ({by_name[common]} case{'s' if by_name[common] != 1 else ''})?"
        for rare, common in pairs[:5]
    )
    more = f" (and {len(pairs) - 5} more pairs)" if len(pairs) > 5 else ""
    raise LabelError(
        f"{len(pairs)} pair(s) of labels look like one label spelt two ways: {shown}{more} "
        "Fix the spelling in the data (or map codes with `label_names`), or pass "
        "`allow_similar_labels` if they are different labels."
    )


def _did_you_mean(key: str, names: Sequence[str]) -> str:
    close = [n for n in names if _similar(key, n)]
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_label_names(path: str | Path) -> dict[str, str]:
    """Read a table mapping label codes to label names: its first column holds the codes,
    its second the names (a header row first, any names).

    Returns
    -------
    dict
        :func:`label_key` of each code -> its name.

    Raises
    ------
    InputError
        If the file cannot be read; LabelError if it has fewer than two columns, a code
        twice, or an empty code or name.
    """
    path = Path(path)
    df = load_table(path)
    if df.shape[1] < 2:
        raise LabelError(
            f"{path.name} has {df.shape[1]} column(s); `label_names` needs two: the code, "
            "then its name (for example: code,name)."
        )
    names: dict[str, str] = {}
    for row, (code, name) in enumerate(zip(df.iloc[:, 0], df.iloc[:, 1], strict=True), 2):
        code, name = " ".join(str(code).split()), " ".join(str(name).split())
        if not code or not name:
            raise LabelError(
                f"Row {row} of {path.name} has an empty {'code' if not code else 'name'}; "
                "give every row a code and a name."
            )
        if label_key(code) in names:
            raise LabelError(
                f"Code {code!r} appears twice in {path.name} (row {row}); keep one row per code."
            )
        names[label_key(code)] = name
    if not names:
        raise LabelError(f"{path.name} has no rows; add one row per code: code,name.")
    return names


def rename_labels(
    label_sets: Sequence[Sequence[str]], names: Mapping[str, str], source: str = "the label names"
) -> list[list[str]]:
    """Replace each label code by its name (codes matched by :func:`label_key`).

    Raises
    ------
    LabelError
        If a label is neither a code of ``names`` nor one of its names.
    """
    known_names = {label_key(n): n for n in names.values()}
    unknown: Counter[str] = Counter()
    out = []
    for row in label_sets:
        renamed = []
        for label in row:
            key = label_key(label)
            name = names.get(key) or known_names.get(key)
            if name is None:
                unknown[label] += 1
            elif name not in renamed:
                renamed.append(name)
        out.append(renamed)
    if unknown:
        shown = ", ".join(f"{c!r} ({n} rows)" for c, n in sorted(unknown.items())[:10])
        raise LabelError(
            f"{len(unknown)} label code(s) are not in {source}: {shown}. Add a row for each "
            "code to that file."
        )
    return out
