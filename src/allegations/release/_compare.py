"""The release report: how a new records release differs from the last one and from training.

:func:`compare_release` answers, for a new release (and optionally the previous one):

- columns added, removed or renamed (a removed and an added column holding mostly the
  same values);
- rows added, removed and edited (same id, different text) against the previous release;
- near-duplicate narratives (identical after preprocessing: differing only in case,
  punctuation, numbers, spacing or redaction markers) and exact duplicates;
- the share of tokens the model never saw in training (not in its feature vocabulary);
- per label, the share of rows the model tags and the distribution of its scores, against
  the training data, with a drift warning when either moves beyond what cross-validation
  explains.

"What cross-validation explains": the reference is the model's out-of-fold scores on its
training data (recomputed from the training table with the model's own seed and folds,
or read from ``model.card["score_reference"]`` when the model carries one). Each fold is a
sample of the training data as a new release is of the population; a release is flagged
when its distance from the reference, scaled by sample size, exceeds both the largest
fold-versus-rest distance and a fixed floor (z = 3 for shares; the 1 % Kolmogorov-Smirnov
critical value, 1.63, for score distributions). Without training data only the share check
runs, against the cross-validated predicted counts of the model card, with the floor alone.

The report holds counts, shares, ids and label names, never narrative text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AllegationsError, BadRecordError
from ..model import Tagger
from ..tables import TableOptions, load_table, require_column, sha256_file
from ._changes import compare_columns, compare_rows, near_duplicates, unseen_token_share
from ._drift import FOLD_MODELS, cross_fitted_proba, label_drift, reference_from_training

__all__ = [
    "compare_release",
    "release_report",
    "WARNINGS_KEY",
    "verdict",
    "for_training",
]

log = logging.getLogger(__name__)

CHUNK = 10_000
#: Key of the drift warnings (a list of strings) in a comparison report and its JSON file;
#: ``allegations report --summary`` reads them from there.
WARNINGS_KEY = "warnings"


#: The table parameters whose ``training_`` twin reads the training tables.
_TRAINING_TWINS = ("text_col", "sep", "header_row", "skip_rows", "no_header")
_TWIN = re.compile(r"`(" + "|".join(_TRAINING_TWINS) + r")`")


def for_training(exc: AllegationsError) -> AllegationsError:
    """The same error, naming the ``training_`` parameters (``training_header_row``).

    A message about reading the training tables names the parameter that reads them:
    ``header_row`` would be the releases' option.
    """
    message = _TWIN.sub(lambda m: f"`training_{m.group(1)}`", str(exc))
    if isinstance(exc, BadRecordError):
        return BadRecordError(message, exc.record)
    return type(exc)(message)


# -- the report -------------------------------------------------------------------------------
def verdict(n_drifting: int, n_labels: int) -> str:
    """The report's one-line conclusion."""
    if n_drifting == 0:
        return "The release looks like the training data."
    return f"Drifted for {n_drifting} of {n_labels} labels: audit before publishing."


def compare_release(
    new_path: str | Path,
    model: Tagger,
    *,
    previous_path: str | Path | None = None,
    id_col: str | None = None,
    text_col: str = "text",
    training: dict[str, Any] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    table: TableOptions | None = None,
) -> dict[str, Any]:
    """Compare a new release with the previous one and with the model's training data.

    Parameters
    ----------
    new_path : str or Path
        The new release (any table format).
    model : Tagger
    previous_path : str or Path, optional
        The previous release: enables the column and row comparison.
    id_col, text_col : str
        Columns of the new release; in the previous release a renamed column is followed.
    training : dict, optional
        A reference from :func:`reference_from_training` (or :func:`score_reference`);
        by default ``model.card["score_reference"]`` if present, else counts only.
    sheet, encoding
        As for :func:`allegations.tables._read.load_table`.
    table : TableOptions, optional
        How to read both releases (separator, header row...); replaces ``sheet`` and
        ``encoding`` when given. The columns are still ``id_col`` and ``text_col``.

    Returns
    -------
    dict
        ``release``, ``previous``, ``columns``, ``rows``, ``duplicates``, ``unseen_tokens``,
        ``labels``, ``warnings``, ``reference``, ``schema_changes`` (columns the
        comparison needed that the previous release lacks), ``drifting_labels`` and
        ``verdict`` (one line: the release looks like the training data, or drifted for
        N of M labels).

    Raises
    ------
    InputError, ColumnError
    """
    new_path = Path(new_path)
    if table is None:
        table = TableOptions(sheet=sheet, encoding=encoding)
    new = load_table(new_path, table)
    require_column(new, text_col, new_path.name, "text_col")
    if id_col is not None:
        require_column(new, id_col, new_path.name, "id_col")
    texts = new[text_col].tolist()
    ids = new[id_col].tolist() if id_col is not None else list(range(1, len(new) + 1))
    report: dict[str, Any] = {
        "release": {"name": new_path.name, "sha256": sha256_file(new_path), "rows": len(new)},
        "model": {"id": model.model_id, "labels": model.labels},
        "previous": None,
        "columns": None,
        "rows": None,
    }
    schema_changes: list[str] = []
    if previous_path is not None:
        previous_path = Path(previous_path)
        old = load_table(previous_path, table)
        columns = compare_columns(old, new)
        renamed_back = {r["to"]: r["from"] for r in columns["renamed"]}
        old_text = renamed_back.get(text_col, text_col)
        old_id = renamed_back.get(id_col, id_col) if id_col is not None else None
        report["previous"] = {
            "name": previous_path.name,
            "sha256": sha256_file(previous_path),
            "rows": len(old),
        }
        report["columns"] = columns
        # A column the comparison needs but the previous release lacks is a schema change
        # to report, not a reason to stop: the rest of the report still holds.
        if old_id is not None and old_id not in old.columns:
            schema_changes.append(
                f"The previous release {previous_path.name} has no id column '{id_col}' "
                f"(columns: {', '.join(map(str, old.columns))}); rows are matched by text."
            )
            old_id = None
        if old_text in old.columns:
            report["rows"] = compare_rows(
                old[old_text].tolist(),
                texts,
                old[old_id].tolist() if old_id else None,
                [str(i) for i in ids] if old_id is not None else None,
            )
        else:
            schema_changes.append(
                f"The previous release {previous_path.name} has no text column '{text_col}' "
                f"(columns: {', '.join(map(str, old.columns))}); rows are not compared with it."
            )
    docs_parts, proba_parts = [], []
    for start in range(0, len(texts), CHUNK):
        docs = model.preprocess(texts[start : start + CHUNK])
        docs_parts.append(docs)
        proba_parts.append(model.proba_from_docs(docs))
    docs_all = np.concatenate(docs_parts) if docs_parts else np.array([], dtype=object)
    proba = np.vstack(proba_parts) if proba_parts else np.zeros((0, len(model.labels)))
    report["duplicates"] = near_duplicates(texts, docs_all.tolist(), ids)
    report["unseen_tokens"] = unseen_token_share(model, docs_all.tolist())
    reference = training if training is not None else model.card.get("score_reference")
    test_proba = None
    if reference is not None and reference.get(FOLD_MODELS):
        test_proba = np.vstack(
            [cross_fitted_proba(model, d, reference[FOLD_MODELS]) for d in docs_parts]
            or [np.zeros((0, len(model.labels)))]
        )
        reference = {k: v for k, v in reference.items() if k != FOLD_MODELS}
    label_rows, warnings_ = label_drift(model, proba, reference, test_proba)
    report["labels"] = label_rows
    report[WARNINGS_KEY] = warnings_
    report["schema_changes"] = schema_changes
    drifting = [r["label"] for r in label_rows if r.get("share_drift") or r.get("score_drift")]
    report["drifting_labels"] = drifting
    report["verdict"] = verdict(len(drifting), len(label_rows))
    report["reference"] = (
        f"out-of-fold scores on {reference['n_cases']} training cases, {reference['n_folds']} folds"
        if reference is not None
        else "model card cross-validated counts only (pass --training for score distributions)"
    )
    return report


def release_report(
    new_path: str | Path,
    model: Tagger | str | Path,
    *,
    previous_path: str | Path | None = None,
    id_col: str | None = None,
    text_col: str = "text",
    training_paths: Sequence[str | Path] = (),
    training_text_col: str | None = None,
    training_labels_col: str = "labels",
    training_label_sep: str = ";",
    sheet: str | None = None,
    encoding: str | None = None,
    training_spec: Any = None,
    table: TableOptions | None = None,
    training_table: TableOptions | None = None,
) -> dict[str, Any]:
    """Load the model (and training tables, if given) and run :func:`compare_release`.

    ``training_spec`` (a :class:`allegations.batch._workflows.LabelSpec`, as ``train``
    takes: ``--label-cols``, ``--label-names``) overrides ``training_labels_col`` and
    ``training_label_sep``.

    ``training_table`` says how to read the training tables (separator, header row,
    encoding); their text column is still ``training_text_col`` (default: ``text_col``).
    By default they are read with ``encoding`` and the layout the model card records
    (:meth:`TableOptions.recorded_layout`: the options ``train`` was given), else the defaults.

    Raises
    ------
    InputError, ColumnError, LabelError, ModelError
        An error reading the training tables names the ``training_`` parameter to fix
        (``training_header_row``, ``training_text_col``).
    """
    from ..batch import LabelSpec, read_labelled
    from ..model import load_model

    if not isinstance(model, Tagger):
        model = load_model(model)
    reference = None
    if training_paths:
        if training_table is None:
            recorded = TableOptions.recorded_layout(model.card.get("data") or {})
            training_table = TableOptions(encoding=encoding, **recorded)
        try:
            data = read_labelled(
                training_paths,
                spec=training_spec
                or LabelSpec(labels_col=training_labels_col, label_sep=training_label_sep),
                table=training_table.with_columns(training_text_col or text_col),
            )
        except AllegationsError as exc:
            raise for_training(exc) from None
        reference = reference_from_training(model, data.texts, data.label_sets)
        expected = {f.get("sha256") for f in model.card.get("data", {}).get("files", [])}
        given = {f["sha256"] for f in data.files}
        if expected and given != expected:
            log.warning(
                "The training tables given are not the ones recorded in the model card "
                "(sha256 differs); the reference describes the tables given."
            )
    return compare_release(
        new_path,
        model,
        previous_path=previous_path,
        id_col=id_col,
        text_col=text_col,
        training=reference,
        sheet=sheet,
        encoding=encoding,
        table=table,
    )
