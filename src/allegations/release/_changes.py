"""How a release's rows and columns differ: columns added, removed or renamed and rows
added, removed or edited against the previous release; near-duplicate narratives within it;
the share of its tokens the model never saw in training.

Counts, shares and ids only, never narrative text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..model import Tagger
from ..text import lemma_text, split_tokens

__all__ = ["compare_columns", "compare_rows", "near_duplicates", "unseen_token_share"]

RENAME_MIN_OVERLAP = 0.5


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
