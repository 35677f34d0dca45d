"""What a ``predict`` run is asked for, and the shape of its output rows.

:class:`PredictOptions` travels as one object from the command line to
:func:`~allegations.batch._predict.predict_file`; :class:`OutputShape` is decided once per
run: the kept input columns, then the tag columns (renamed ``tag_<name>`` when the input
has a column of that name).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import InputError
from ..tables import TableFormat, TableOptions, nested_records

__all__ = [
    "KEEP_ALL",
    "KEEP_NONE",
    "TAG_PREFIX",
    "PredictOptions",
    "OutputShape",
    "parse_keep_columns",
]


KEEP_ALL = "all"
KEEP_NONE = "none"
#: Put before a tag column's name when the user's table has a column of that name.
TAG_PREFIX = "tag_"

Keep = str | tuple[str, ...]


def parse_keep_columns(value: str | Sequence[str]) -> Keep:
    """``"all"``, ``"none"`` or a tuple of column names from ``A,B,...``.

    Raises
    ------
    InputError
        If a list is empty or names a column twice.
    """
    if not isinstance(value, str):
        names = tuple(value)
    elif value.strip().lower() in (KEEP_ALL, KEEP_NONE):
        return value.strip().lower()
    else:
        names = tuple(part.strip() for part in value.split(",") if part.strip())
    if not names:
        raise InputError("`keep_columns` must be all, none or column names joined by commas.")
    if len(set(names)) != len(names):
        raise InputError("`keep_columns` names a column more than once; name each once.")
    return names


@dataclass(frozen=True)
class PredictOptions:
    """Everything ``predict`` needs besides the paths and the model.

    Parameters
    ----------
    table : TableOptions
        How to read the input (columns, sheet, encoding, bad records, layout).
    keep_columns : "all", "none" or tuple of str
        The input columns copied into the output, before the tag columns ("none": only
        the tag columns, with ``id``). A tag column whose name the input also has is
        renamed ``tag_<name>``; ``id`` is left out when ``table.id_col`` is kept.
    n_process : int
        Worker processes; the output is identical for any number.
    chunk_rows : int
        Rows per chunk: memory use is bounded by a few chunks.
    evidence : bool
        Add the phrases that pushed each predicted label most and their sentences.
    allow_version_mismatch : bool
        Load a model whose tokenizer check fails (with a warning).
    review_share : float or None
        Flag in ``needs_review`` the cases less confident than the cut-off under which this
        share of the training cases fell out of fold (None: the model's own, 0.1 by default).
    """

    table: TableOptions = field(default_factory=TableOptions)
    keep_columns: Keep = KEEP_NONE
    n_process: int = 1
    chunk_rows: int = 10_000
    evidence: bool = False
    allow_version_mismatch: bool = False
    review_share: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep_columns", parse_keep_columns(self.keep_columns))

    @classmethod
    def build(cls, **keywords: Any) -> PredictOptions:
        """Options from the loose keywords (``text_col=...``, ``n_process=...``)."""
        names = {f.name for f in dataclasses.fields(TableOptions)}
        table = TableOptions(**{k: v for k, v in keywords.items() if k in names})
        return cls(table=table, **{k: v for k, v in keywords.items() if k not in names})


class OutputShape:
    """The columns of an output row: the kept input columns, then the tag columns.

    Parameters
    ----------
    kept : list of str
        The input columns copied into the output, in input order.
    labels : sequence of str
        The model's labels.
    drop_id : bool
        Leave out the tag ``id`` column (it would repeat the kept ``id_col``).
    """

    def __init__(self, kept: Sequence[str], labels: Sequence[str], drop_id: bool) -> None:
        self.kept = list(kept)
        self.labels = list(labels)
        self.drop_id = drop_id
        taken = set(self.kept)
        self.renamed: dict[str, str] = {}
        tag_names = [] if drop_id else ["id"]
        tag_names += ["labels", "scores", "evidence", "evidence_sentences"]
        tag_names += [f"p_{label}" for label in self.labels] + ["confidence", "needs_review"]
        for name in tag_names:
            new = name
            while new in taken:
                new = TAG_PREFIX + new
            if new != name:
                self.renamed[name] = new

    def name(self, tag_column: str) -> str:
        """The output name of a tag column (``labels`` or ``tag_labels``)."""
        return self.renamed.get(tag_column, tag_column)

    def frame(
        self,
        kept: pd.DataFrame,
        tags: pd.DataFrame,
        fmt: TableFormat,
        evidence: list[Any] | None = None,
    ) -> pd.DataFrame:
        """One output chunk: the kept input columns beside the tags (nested for JSON Lines)."""
        if fmt.nested:
            tags = nested_records(tags, self.labels, evidence)
        if self.drop_id:
            tags = tags.drop(columns="id")
        tags = tags.rename(columns=self.renamed) if self.renamed else tags
        if not self.kept:
            return tags
        return pd.concat([kept.reset_index(drop=True), tags.reset_index(drop=True)], axis=1)

    def reshape(self, flat: pd.DataFrame, fmt: TableFormat, made_by: OutputShape) -> pd.DataFrame:
        """An output chunk for ``fmt`` from one that ``made_by.frame`` made for CSV with
        every tag column (the Dask engine tags partitions before it writes them)."""
        back = {new: old for old, new in made_by.renamed.items()}
        tag_cols = [c for c in flat.columns[len(self.kept) :]]
        tags = flat[tag_cols].rename(columns=back)
        return self.frame(flat[self.kept], tags, fmt)
