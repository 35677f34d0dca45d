"""File-level jobs behind the CLI commands: read tables, call the library, write outputs.

Each function takes paths and options, returns a plain dict summary, and raises
:class:`~allegations.errors.AllegationsError` subclasses for anything a user can cause.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, LabelError, NoFeaturesError
from ..model import ModelConfig, Tagger, load_model, save_model
from ..tables import (
    ReadReport,
    TableOptions,
    load_table,
    require_column,
    sha256_file,
    warn_numbers_only,
)
from ..training import (
    Codebook,
    evaluate,
    labels_from_column,
    labels_from_columns,
    load_codebook,
    train,
    warn_label_design_changes,
)
from ._options import PredictOptions
from ._predict import predict_file
from ._summary import run_summary, summary_path, write_summary_json

__all__ = [
    "LabelSpec",
    "LabelledData",
    "read_labelled",
    "train_files",
    "predict_file",
    "summary_path",
    "run_summary",
    "write_summary_json",
    "evaluate_file",
    "PredictOptions",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelSpec:
    """Where the labels are: one joined column, or one truthy column per label."""

    labels_col: str = "labels"
    label_sep: str = ";"
    label_cols: tuple[str, ...] = ()

    def read(self, df: pd.DataFrame, source: str) -> list[list[str]]:
        """Return the label set of every row of ``df``."""
        if self.label_cols:
            return labels_from_columns(df, self.label_cols, source=source)
        return labels_from_column(df, self.labels_col, self.label_sep, source=source)


@dataclass
class LabelledData:
    """Texts with their label sets, read from one or more files."""

    texts: list[str]
    label_sets: list[list[str]]
    ids: list[str]
    groups: list[str] | None
    files: list[dict[str, Any]] = field(default_factory=list)
    n_overridden: int = 0


def read_labelled(
    paths: Sequence[str | Path],
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: str = "error",
    table: TableOptions | None = None,
) -> LabelledData:
    """Read labelled rows from one or more tables.

    ``table`` (a :class:`~allegations.tables._options.TableOptions`, with the layout
    options) replaces ``text_col``, ``id_col``, ``sheet``, ``encoding`` and
    ``on_bad_rows`` when given. With ``id_col``, a row whose id appeared in an earlier
    file replaces that row (so a file of reviewed corrections passed last overrides the
    original labels). With ``on_bad_rows="skip"`` malformed records are left out and
    listed in ``files``.

    Raises
    ------
    InputError, ColumnError, LabelError
    """
    spec = spec or LabelSpec()
    table = table or TableOptions(text_col, id_col, sheet, encoding, on_bad_rows)  # type: ignore[arg-type]
    text_col, id_col = table.text_col, table.id_col
    if not paths:
        raise InputError("No data file given; pass at least one labelled table.")
    rows: dict[str, tuple[str, list[str], str]] = {}
    order: list[str] = []
    files = []
    n_overridden = 0
    first_sets: list[list[str]] = []
    corrections: list[tuple[str, list[str]]] = []
    for n_file, path in enumerate(paths):
        path = Path(path)
        report = ReadReport()
        df = load_table(path, table, report=report)
        where: dict[str, Any] = {"path": path, "options": table}
        require_column(df, text_col, path.name, "text_col", **where)
        if id_col is not None:
            require_column(df, id_col, path.name, "id_col", **where)
        if group_col is not None:
            require_column(df, group_col, path.name, "group_col", **where)
        for col in spec.label_cols or (spec.labels_col,):
            option = "label_cols" if spec.label_cols else "labels_col"
            require_column(df, col, path.name, option, **where)
        warn_numbers_only(df, text_col, path.name)
        label_sets = spec.read(df, path.name)
        _check_label_lengths(label_sets, path.name, report.kept_rows())
        texts = df[text_col].tolist()
        ids = (
            df[id_col].astype(str).tolist()
            if id_col is not None
            else [f"{path.name}:{i}" for i in report.kept_rows()]
        )
        groups = df[group_col].astype(str).tolist() if group_col else [""] * len(df)
        if n_file == 0:
            first_sets = label_sets
        else:  # corrections: warned about if they change the label design
            corrections.extend(zip(ids, label_sets, strict=True))
        for key, text, labels, group in zip(ids, texts, label_sets, groups, strict=True):
            if key in rows:
                n_overridden += 1
            else:
                order.append(key)
            rows[key] = (text, labels, group)
        entry = {"name": path.name, "rows": int(len(df)), "sha256": sha256_file(path)}
        if report.skipped:
            entry["skipped"] = report.summary()
        files.append(entry)
    if not order:
        raise InputError(
            f"{', '.join(Path(p).name for p in paths)} has no data rows; pass a "
            "table with a header and labelled rows."
        )
    if corrections:
        warn_label_design_changes(first_sets, corrections)
    if n_overridden:
        log.warning(
            "%d row(s) share an id with an earlier row; the later row's labels are used.",
            n_overridden,
        )
    return LabelledData(
        texts=[rows[k][0] for k in order],
        label_sets=[rows[k][1] for k in order],
        ids=order,
        groups=[rows[k][2] for k in order] if group_col else None,
        files=files,
        n_overridden=n_overridden,
    )


#: A label longer than this is taken for narrative text in the labels column.
MAX_LABEL_CHARS = 80


def _check_label_lengths(label_sets: list[list[str]], source: str, rows: list[int]) -> None:
    for row, labels in zip(rows, label_sets, strict=True):
        for label in labels:
            if len(label) > MAX_LABEL_CHARS:
                raise LabelError(
                    f"Row {row} of {source} has a label of {len(label)} characters (at most "
                    f"{MAX_LABEL_CHARS}); is `labels_col` the narrative column? Pass the "
                    "column of labels, or check `label_sep`."
                )


def train_files(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
    codebook_path: str | Path | None = None,
    seed: int = 0,
    goal: str = "f1",
    spacy_model: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    config: ModelConfig | None = None,
    on_bad_rows: str = "error",
    label_source: str | None = None,
    table: TableOptions | None = None,
) -> Tagger:
    """Train on labelled tables and save the model folder ``out``.

    ``table`` replaces ``text_col``, ``id_col``, ``sheet``, ``encoding`` and
    ``on_bad_rows`` when given (see :func:`read_labelled`).

    Returns
    -------
    Tagger
        The saved model (its card holds the cross-validated metrics).
    """
    codebook: Codebook | None = load_codebook(codebook_path) if codebook_path else None
    table = table or TableOptions(text_col, id_col, sheet, encoding, on_bad_rows)  # type: ignore[arg-type]
    text_col = table.text_col
    data = read_labelled(paths, spec=spec, group_col=group_col, table=table)
    if not any(data.label_sets):
        raise LabelError("No row has a label; check `labels_col` / `label_cols` and `label_sep`.")
    if not any(str(t).strip() for t in data.texts):
        raise InputError(
            f"All {len(data.texts)} narratives in column '{text_col}' are blank; pass the "
            "column that holds the text with `text_col`."
        )
    spec = spec or LabelSpec()
    info = {
        "files": data.files,
        "text_col": text_col,
        "n_rows": len(data.texts),
        "n_overridden_by_id": data.n_overridden,
        # the column options, so that 'allegations export' writes corrections that train
        # reads with the same options
        "id_col": table.id_col,
        "labels_col": None if spec.label_cols else spec.labels_col,
        "label_sep": None if spec.label_cols else spec.label_sep,
        "label_cols": list(spec.label_cols),
        # the layout options given (separator, skipped lines, no header), so that
        # 'allegations compare-release --training' reads the tables the same way
        **table.layout(),
    }
    try:
        model = train(
            data.texts,
            data.label_sets,
            codebook=codebook,
            goal=goal,
            seed=seed,
            groups=data.groups,
            spacy_model=spacy_model,
            config=config,
            data_info=info,
            label_source=label_source,
        )
    except NoFeaturesError as exc:  # name the column the user chose
        raise NoFeaturesError(f"Column '{text_col}': {exc}") from None
    save_model(model, out)
    return model


def evaluate_file(
    paths: Sequence[str | Path],
    model: Tagger | str | Path,
    *,
    text_col: str = "text",
    spec: LabelSpec | None = None,
    id_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: str = "error",
    allow_version_mismatch: bool = False,
    table: TableOptions | None = None,
) -> dict[str, Any]:
    """Score a model on labelled tables; see :func:`allegations.evaluate`.

    ``table`` replaces the loose table keywords when given (see :func:`read_labelled`).
    """
    if not isinstance(model, Tagger):
        model = load_model(model, allow_version_mismatch=allow_version_mismatch)
    table = table or TableOptions(text_col, id_col, sheet, encoding, on_bad_rows)  # type: ignore[arg-type]
    data = read_labelled(paths, spec=spec, table=table)
    report = evaluate(model, data.texts, data.label_sets)
    report["model_id"] = model.model_id
    report["data"] = data.files
    return report
