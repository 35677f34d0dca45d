"""Agreement between reviewers (not adjudicators) on the cases at least two of them decided.

Cohen's kappa per label between two reviewers on the cases both decided (any strategy);
with more reviewers, the mean of the pairwise kappas (Light's kappa). Next to it:
whole-case exact agreement (the share of cases both coded with the same label set) and
Krippendorff's alpha (nominal), over whole label sets and per label (see
:mod:`allegations.stats._agreement`).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from ..stats import krippendorff_alpha_nominal
from ._answers import reviews_by_case
from ._store import Decision, ReviewStore

__all__ = ["agreement"]


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    n = len(a)
    if n == 0:
        return None
    po = float((a == b).mean())
    pa, pb = float(a.mean()), float(b.mean())
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1.0:
        return None  # both reviewers gave one answer throughout: kappa is undefined
    return (po - pe) / (1.0 - pe)


def agreement(
    store: ReviewStore, standing: dict[tuple[str, str], Decision] | None = None
) -> dict[str, Any]:
    """Agreement between reviewers on the cases at least two of them decided.

    Adjudicators' decisions are not counted (they settle disagreements, after the fact).

    Returns
    -------
    dict
        ``reviewers``; ``n_both`` (cases coded by two or more reviewers); ``whole_case``:
        {n_both, n_agree, exact_agreement, alpha} where ``alpha`` is Krippendorff's alpha
        over whole label sets; ``per_label``: {label: {kappa, alpha, n_both,
        observed_agreement, pairs}}; ``disagreements``: [{case_id, label, yes: [reviewers],
        no: [reviewers]}], by case.
    """
    standing = store.standing() if standing is None else standing
    labels = store.labels
    by_case = reviews_by_case(standing)
    reviewers = sorted({r for ds in by_case.values() for r in ds})
    shared = {h: ds for h, ds in by_case.items() if len(ds) >= 2}
    per_label: dict[str, Any] = {}
    for label in labels:
        pairs: list[dict[str, Any]] = []
        agree_n = total_n = 0
        for a, b in combinations(reviewers, 2):
            hashes = [h for h, ds in shared.items() if a in ds and b in ds]
            ya = np.array([label in shared[h][a].labels for h in hashes], dtype=int)
            yb = np.array([label in shared[h][b].labels for h in hashes], dtype=int)
            if hashes:
                pairs.append({"reviewers": [a, b], "n_both": len(hashes), "kappa": _kappa(ya, yb)})
                agree_n += int((ya == yb).sum())
                total_n += len(hashes)
        kappas = [float(p["kappa"]) for p in pairs if p["kappa"] is not None]
        per_label[label] = {
            "kappa": float(np.mean(kappas)) if kappas else None,
            "alpha": krippendorff_alpha_nominal(
                [[label in d.labels for d in ds.values()] for ds in shared.values()]
            ),
            "n_both": len(shared) if len(reviewers) > 2 else (pairs[0]["n_both"] if pairs else 0),
            "observed_agreement": agree_n / total_n if total_n else None,
            "pairs": pairs,
        }
    n_agree = sum(
        1 for ds in shared.values() if len({frozenset(d.labels) for d in ds.values()}) == 1
    )
    whole_case = {
        "n_both": len(shared),
        "n_agree": n_agree,
        "exact_agreement": n_agree / len(shared) if shared else None,
        "alpha": krippendorff_alpha_nominal(
            [[frozenset(d.labels) for d in ds.values()] for ds in shared.values()]
        ),
    }
    disagreements = []
    for ds in sorted(shared.values(), key=lambda ds: min(d.seq for d in ds.values())):
        case_id = max(ds.values(), key=lambda d: d.seq).case_id
        for label in labels:
            yes = sorted(r for r, d in ds.items() if label in d.labels)
            no = sorted(r for r, d in ds.items() if label not in d.labels)
            if yes and no:
                disagreements.append({"case_id": case_id, "label": label, "yes": yes, "no": no})
    return {
        "reviewers": reviewers,
        "n_both": len(shared),
        "whole_case": whole_case,
        "per_label": per_label,
        "disagreements": disagreements,
    }
