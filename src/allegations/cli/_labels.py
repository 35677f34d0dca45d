"""Label options shared by ``train``, ``evaluate`` and ``compare-release``: label codes
mapped to names (``--label-names``) and near-duplicate label names (``--allow-similar-labels``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ..batch import LabelSpec
from ..training import load_label_names, rename_labels

__all__ = ["AllowSimilarLabels", "LabelNames", "NamedLabelSpec", "label_spec"]

AllowSimilarLabels = Annotated[
    bool,
    typer.Option(
        "--allow-similar-labels",
        help="Keep labels that look like one label spelt two ways (PHYSICAL ABUSSE, "
        "Physical-Abuse) as different labels, instead of stopping with 'did you mean'.",
    ),
]
LabelNames = Annotated[
    Path | None,
    typer.Option(
        "--label-names",
        help="Table mapping label codes to names: first column the code, second its name "
        "(for example a CSV with header code,name).",
    ),
]


@dataclass(frozen=True)
class NamedLabelSpec(LabelSpec):
    """A :class:`LabelSpec` whose label codes are replaced by names from ``--label-names``."""

    names: tuple[tuple[str, str], ...] = ()
    names_source: str = "--label-names"

    def read(self, df: pd.DataFrame, source: str) -> list[list[str]]:
        """Return the label set of every row of ``df``, codes replaced by their names."""
        sets = super().read(df, source)
        return rename_labels(sets, dict(self.names), self.names_source) if self.names else sets


def label_spec(
    labels_col: str, label_sep: str, label_cols: tuple[str, ...], label_names: Path | None
) -> LabelSpec:
    """The label spec of the label options (raises on a bad ``--label-names`` file)."""
    if label_names is None:
        return LabelSpec(labels_col=labels_col, label_sep=label_sep, label_cols=label_cols)
    names = load_label_names(label_names)
    return NamedLabelSpec(
        labels_col=labels_col,
        label_sep=label_sep,
        label_cols=label_cols,
        names=tuple(names.items()),
        names_source=label_names.name,
    )
