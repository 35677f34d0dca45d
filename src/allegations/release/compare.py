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

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model.tagger import Tagger
from ..tables.columns import require_column
from ..tables.options import TableOptions
from ..tables.read import load_table, sha256_file
from ..text.preprocess import lemma_text, split_tokens
from ..training.progress import add_work, advance

__all__ = [
    "compare_release",
    "compare_columns",
    "compare_rows",
    "near_duplicates",
    "unseen_token_share",
    "score_reference",
    "reference_from_training",
    "cross_fitted_proba",
    "label_drift",
    "release_report",
    "Z_FLOOR",
    "KS_FLOOR",
    "WARNINGS_KEY",
    "verdict",
]

log = logging.getLogger(__name__)

Z_FLOOR = 3.0
KS_FLOOR = 1.63  # the 1 % critical value of the scaled two-sample Kolmogorov-Smirnov distance
N_BINS = 10
RENAME_MIN_OVERLAP = 0.5
CHUNK = 10_000
#: Key of a reference dict holding the fitted fold pipelines (dropped from reports).
FOLD_MODELS = "_fold_pipelines"
#: Key of the drift warnings (a list of strings) in a comparison report and its JSON file;
#: ``allegations report --summary`` reads them from there.
WARNINGS_KEY = "warnings"


# -- columns and rows ---------------------------------------------------------------------
def _value_key(values: pd.Series) -> set[str]:
    return {str(v) for v in values.tolist() if str(v) != ""}


def compare_columns(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, Any]:
    """Columns added, removed, kept and renamed between two releases.

    A removed column and an added column are a rename when their sets of distinct non-empty
    values overlap by at least half (Jaccard), best match first.
    """
    old_cols, new_cols = list(old.columns), list(new.columns)
    removed = [c for c in old_cols if c not in new_cols]
    added = [c for c in new_cols if c not in old_cols]
    pairs = []
    old_values = {c: _value_key(old[c]) for c in removed}
    new_values = {c: _value_key(new[c]) for c in added}
    for o in removed:
        for n in added:
            a, b = old_values[o], new_values[n]
            union = len(a | b)
            overlap = len(a & b) / union if union else 0.0
            if overlap >= RENAME_MIN_OVERLAP:
                pairs.append((overlap, o, n))
    renamed = []
    used_old: set[str] = set()
    used_new: set[str] = set()
    for overlap, o, n in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if o in used_old or n in used_new:
            continue
        used_old.add(o)
        used_new.add(n)
        renamed.append({"from": o, "to": n, "value_overlap": round(overlap, 3)})
    return {
        "added": [c for c in added if c not in used_new],
        "removed": [c for c in removed if c not in used_old],
        "renamed": renamed,
        "kept": [c for c in new_cols if c in old_cols],
    }


def compare_rows(
    old_texts: Sequence[str],
    new_texts: Sequence[str],
    old_ids: Sequence[str] | None = None,
    new_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Rows added, removed and edited between two releases.

    With ids, a row is matched by id and ``edited`` when its text changed. Without ids rows
    are matched by text (as multisets), and edits show as one removal plus one addition.
    """
    if old_ids is None or new_ids is None:
        old_count, new_count = Counter(old_texts), Counter(new_texts)
        return {
            "matched_by": "text",
            "added": sum((new_count - old_count).values()),
            "removed": sum((old_count - new_count).values()),
            "edited": None,
            "unchanged": sum((old_count & new_count).values()),
        }
    old_map = dict(zip(map(str, old_ids), old_texts, strict=True))
    new_map = dict(zip(map(str, new_ids), new_texts, strict=True))
    common = old_map.keys() & new_map.keys()
    edited = sorted(k for k in common if old_map[k] != new_map[k])
    return {
        "matched_by": "id",
        "added": len(new_map.keys() - old_map.keys()),
        "removed": len(old_map.keys() - new_map.keys()),
        "edited": len(edited),
        "unchanged": len(common) - len(edited),
        "edited_ids": edited[:20],
        "duplicate_ids_new": len(new_ids) - len(new_map),
        "duplicate_ids_previous": len(old_ids) - len(old_map),
    }


def near_duplicates(
    texts: Sequence[str], docs: Sequence[str], ids: Sequence[Any]
) -> dict[str, Any]:
    """Exact and near-duplicate narratives (identical after preprocessing).

    Returns counts of rows that repeat an earlier row, the number of groups, and the ids
    of the first rows of the largest groups (no text).
    """
    exact = len(texts) - len(set(texts))
    groups: dict[str, list[Any]] = {}
    for doc, row_id in zip(docs, ids, strict=True):
        lemmas = lemma_text(doc)
        if lemmas:
            key = hashlib.sha1(lemmas.encode("utf-8")).hexdigest()
            groups.setdefault(key, []).append(row_id)
    multi = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), str(g[0])))
    n_near_rows = sum(len(g) - 1 for g in multi)
    return {
        "exact_duplicate_rows": exact,
        "near_duplicate_rows": n_near_rows,
        "near_only_rows": max(n_near_rows - exact, 0),
        "groups": len(multi),
        "largest_groups": [{"size": len(g), "ids": [str(i) for i in g[:5]]} for g in multi[:5]],
    }


def _vocabulary(model: Tagger) -> set[str] | None:
    for _, step in getattr(model.pipeline, "steps", []):
        vocab = getattr(step, "vocabulary_", None)
        if isinstance(vocab, dict):
            return {term for term in vocab if " " not in term}
    return None


def unseen_token_share(model: Tagger, docs: Sequence[str]) -> dict[str, Any]:
    """Share of tokens (and of rows mostly made of tokens) outside the model's vocabulary.

    The vocabulary is the model's single-word features: words seen in enough training
    cases to be kept (``min_df``), so rare training words count as unseen too.
    """
    vocab = _vocabulary(model)
    if vocab is None:
        return {"share": None, "note": "the model exposes no feature vocabulary"}
    n_tokens = n_unseen = n_rows_mostly = 0
    for doc in docs:
        tokens = split_tokens(doc)
        unseen = sum(1 for t in tokens if t not in vocab)
        n_tokens += len(tokens)
        n_unseen += unseen
        if tokens and unseen / len(tokens) > 0.5:
            n_rows_mostly += 1
    return {
        "share": round(n_unseen / n_tokens, 4) if n_tokens else 0.0,
        "tokens": n_tokens,
        "unseen_tokens": n_unseen,
        "rows_mostly_unseen": n_rows_mostly,
        "vocabulary_size": len(vocab),
    }


# -- drift ----------------------------------------------------------------------------------
def _hist(p: np.ndarray) -> list[int]:
    return np.histogram(np.clip(p, 0.0, 1.0), bins=N_BINS, range=(0.0, 1.0))[0].tolist()


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov distance."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _share_z(p1: float, n1: int, p2: float, n2: int) -> float:
    pooled = (p1 * n1 + p2 * n2) / max(n1 + n2, 1)
    se = np.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / max(n1, 1) + 1 / max(n2, 1)))
    return float((p1 - p2) / se)


def _scaled_ks(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0:
        return 0.0
    return _ks(a, b) / float(np.sqrt(1 / len(a) + 1 / len(b)))


def score_reference(proba: np.ndarray, fold: np.ndarray, model: Tagger) -> dict[str, Any]:
    """The reference a release is compared with: out-of-fold scores and fold-to-fold spread.

    Parameters
    ----------
    proba : array, shape (n_cases, n_labels)
        Calibrated out-of-fold probabilities of the training cases.
    fold : array of int
        The fold of each training case.
    model : Tagger
        Gives the labels and the decision rule.

    Returns
    -------
    dict
        Per label: the out-of-fold scores (sorted, rounded to 4 places), the tagged share,
        and the largest fold-versus-rest share z and scaled KS distance.
    """
    decided = model.decide(proba)
    per_label = {}
    for j, label in enumerate(model.labels):
        z_max = ks_max = 0.0
        for k in np.unique(fold):
            here, rest = fold == k, fold != k
            z = _share_z(
                float(decided[here, j].mean()),
                int(here.sum()),
                float(decided[rest, j].mean()),
                int(rest.sum()),
            )
            z_max = max(z_max, abs(z))
            ks_max = max(ks_max, _scaled_ks(proba[here, j], proba[rest, j]))
        per_label[label] = {
            "share": float(decided[:, j].mean()),
            "scores": np.round(np.sort(proba[:, j]), 4).tolist(),
            "fold_share_z_max": round(z_max, 3),
            "fold_ks_max": round(ks_max, 3),
        }
    return {"n_cases": int(len(proba)), "n_folds": int(len(np.unique(fold))), "labels": per_label}


def reference_from_training(
    model: Tagger, texts: Sequence[str], label_sets: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Recompute the model's out-of-fold scores on its training data; see :func:`score_reference`.

    Uses the model's seed, number of folds and fold rule (duplicates kept in one fold), and
    its fitted calibration; each fold's pipeline is refitted on the other folds.

    Raises
    ------
    InputError
        If the training data has too few rows to split into folds.
    """
    import warnings

    from sklearn.base import clone

    from ..model.classifier import decision_scores
    from ..training.labels import to_matrix
    from ..training.train import make_folds

    docs = model.preprocess(texts)
    y = to_matrix(label_sets, model.labels)
    if len(y) < 10:
        raise InputError(f"The training data has {len(y)} rows; the reference needs at least 10.")
    groups = np.unique(np.asarray([lemma_text(d) for d in docs], dtype=str), return_inverse=True)[1]
    config = model.card.get("model", {}).get("config", {})
    fold = make_folds(y, groups, int(config.get("n_folds", 5)), int(model.card.get("seed", 0)))
    target = y.argmax(axis=1) if model.exclusive else y
    scores = np.zeros(y.shape, dtype=np.float64)
    fitted_folds = []
    folds = np.unique(fold)
    add_work(len(folds), "Refitting the training folds")
    for i, k in enumerate(folds, 1):
        advance(f"Refitting training fold {i} of {len(folds)}", 0)
        train_idx, test_idx = fold != k, fold == k
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is present in all training examples.*")
            fitted = clone(model.pipeline).fit(docs[train_idx], target[train_idx])
        scores[test_idx] = decision_scores(fitted, docs[test_idx], y.shape[1])
        fitted_folds.append(fitted)
        advance(f"Refitting training fold {i} of {len(folds)}")
    reference = score_reference(model.calibrator.transform(scores), fold, model)
    reference[FOLD_MODELS] = fitted_folds
    return reference


def cross_fitted_proba(
    model: Tagger, docs: np.ndarray, fold_pipelines: Sequence[Any]
) -> np.ndarray:
    """Score release rows the way the training cases were scored out of fold.

    Row ``i`` is scored by the pipeline of fold ``i mod n_folds`` (each fitted without one
    fold) and the model's calibration, so release and training scores come from the same
    kind of model; the final model, fitted on every case, is a little more confident.
    """
    from ..model.classifier import decision_scores

    n_labels = len(model.labels)
    scores = np.zeros((len(docs), n_labels))
    rows = np.arange(len(docs))
    for k, pipeline in enumerate(fold_pipelines):
        mine = rows % len(fold_pipelines) == k
        if mine.any():
            scores[mine] = decision_scores(pipeline, docs[mine], n_labels)
    return model.calibrator.transform(scores)


def label_drift(
    model: Tagger,
    proba: np.ndarray,
    reference: dict[str, Any] | None,
    test_proba: np.ndarray | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Per-label share and score distribution of a release against the reference.

    ``proba`` are the model's scores of the release (reported); ``test_proba``, when
    given, are cross-fitted scores of the same rows (:func:`cross_fitted_proba`) used for
    the drift tests, so that they compare like with like.

    Returns
    -------
    (rows, warnings)
        One dict per label, and one warning sentence per drifting label.
    """
    decided = model.decide(proba)
    proba = np.round(proba, 4)  # as in the prediction table and the stored reference
    test = proba if test_proba is None else np.round(test_proba, 4)
    test_decided = decided if test_proba is None else model.decide(test_proba)
    n_new = len(proba)
    rows, warnings_ = [], []
    cv = model.card.get("cross_validation", {})
    card_rows = {r.get("label"): r for r in cv.get("per_label", [])}
    n_card = int(model.card.get("n_cases", 0))
    for j, label in enumerate(model.labels):
        share = float(decided[:, j].mean()) if n_new else 0.0
        row: dict[str, Any] = {
            "label": label,
            "release_share": round(share, 4),
            "release_mean_score": round(float(proba[:, j].mean()), 4) if n_new else None,
            "release_histogram": _hist(proba[:, j]),
        }
        if reference is not None:
            ref = reference["labels"][label]
            ref_scores = np.asarray(ref["scores"], dtype=float)
            n_ref = int(reference["n_cases"])
            test_share = float(test_decided[:, j].mean()) if n_new else 0.0
            z = _share_z(test_share, n_new, ref["share"], n_ref)
            z_limit = max(Z_FLOOR, ref["fold_share_z_max"])
            ks = _scaled_ks(test[:, j], ref_scores)
            ks_limit = max(KS_FLOOR, ref["fold_ks_max"])
            row.update(
                training_share=round(ref["share"], 4),
                training_mean_score=round(float(ref_scores.mean()), 4),
                training_histogram=_hist(ref_scores),
                share_z=round(z, 2),
                share_z_limit=round(z_limit, 2),
                cross_fitted_share=round(test_share, 4),
                ks=round(_ks(test[:, j], ref_scores), 4),
                ks_scaled=round(ks, 2),
                ks_limit=round(ks_limit, 2),
                share_drift=bool(n_new and abs(z) > z_limit),
                score_drift=bool(n_new and ks > ks_limit),
            )
        else:
            card_row = card_rows.get(label, {})
            ref_share = card_row.get("predicted", 0) / n_card if n_card else 0.0
            z = _share_z(share, n_new, ref_share, n_card)
            row.update(
                training_share=round(ref_share, 4),
                share_z=round(z, 2),
                share_z_limit=Z_FLOOR,
                share_drift=bool(n_new and n_card and abs(z) > Z_FLOOR),
                score_drift=None,
            )
        if row["share_drift"]:
            warnings_.append(
                f"Label '{label}': {share:.1%} of the release is tagged against "
                f"{row['training_share']:.1%} in training (z = {row['share_z']}, beyond the "
                f"{row['share_z_limit']} that cross-validation explains)."
            )
        if row.get("score_drift"):
            warnings_.append(
                f"Label '{label}': its score distribution moved (scaled KS {row['ks_scaled']} > "
                f"{row['ks_limit']} that cross-validation explains)."
            )
        rows.append(row)
    return rows, warnings_


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
        As for :func:`allegations.tables.read.load_table`.
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
    require_column(new, text_col, new_path.name, "--text-col")
    if id_col is not None:
        require_column(new, id_col, new_path.name, "--id-col")
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
) -> dict[str, Any]:
    """Load the model (and training tables, if given) and run :func:`compare_release`.

    ``training_spec`` (a :class:`allegations.batch.workflows.LabelSpec`, as ``train``
    takes: ``--label-cols``, ``--label-names``) overrides ``training_labels_col`` and
    ``training_label_sep``.

    Raises
    ------
    InputError, ColumnError, LabelError, ModelError
    """
    from ..batch.workflows import LabelSpec, read_labelled
    from ..model.persistence import load_model

    if not isinstance(model, Tagger):
        model = load_model(model)
    reference = None
    if training_paths:
        data = read_labelled(
            training_paths,
            text_col=training_text_col or text_col,
            spec=training_spec
            or LabelSpec(labels_col=training_labels_col, label_sep=training_label_sep),
            encoding=encoding,
        )
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
