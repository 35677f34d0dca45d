"""Estimates from an audit sample: precision, recall, counts and elusion per label.

The audit (``allegations review --strategy audit``) draws cases from the release in
confidence bands; band ``h`` holds ``N_h`` cases of which ``n_h`` were audited, so each
audited case stands for ``w = N_h / n_h`` cases of the release. Per label, with ``y`` the
reviewer's answer and ``c`` the model's call:

* precision ``P`` = weighted share of ``y = 1`` among audited cases with ``c = 1``;
* elusion ``E`` = weighted share of ``y = 1`` among audited cases with ``c = 0`` (the rate
  at which positives hide among the cases the model did not tag);
* estimated count = ``M * P + (N - M) * E``, where ``M`` is the number of cases the model
  tagged in the release and ``N`` the release size (both known exactly);
* recall = ``M * P / (M * P + (N - M) * E)``; missed positives = ``(N - M) * E``.

Weighted shares are Hajek ratio estimators ``sum(w * y) / sum(w)``. Their 95% intervals
are Wilson score intervals computed with Kish's effective sample size
``n_eff = (sum w)^2 / sum(w^2)`` (equal weights give the plain Wilson interval). The count
and recall combine two independent intervals (P and E come from disjoint cases), so each
is taken at 97.5% (z = 2.2414) and combined at its extremes: by Bonferroni the combined
interval covers at least 95%. A domain with no audited case gives no estimate and the
interval [0, 1], which carries through to a wide count interval instead of a false one.

Whose answers: see :mod:`allegations.review._answers` (the adjudicated or shared answer of
several reviewers); agreement between reviewers: :mod:`allegations.review._interrater`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..batch import tag_view
from ..errors import InputError, StoreError
from ..stats import Z95, wilson
from ..tables import load_table, require_column
from ..training import label_key, parse_label_string
from ._answers import choose_decisions
from ._audit_store import AuditDesign
from ._interrater import agreement
from ._store import ReviewStore

__all__ = [
    "Z95",
    "Z_JOINT",
    "estimate_store",
    "wilson",
    "weighted_share",
]

#: Two-sided 97.5% normal quantile: two such intervals hold jointly with >= 95%.
Z_JOINT = 2.241402727604947

METHOD = (
    "Stratified audit sample across confidence bands; each audited case weighted by band "
    "size / audited in band. Precision and elusion: weighted shares with Wilson 95% "
    "intervals on Kish's effective sample size. Estimated count = tagged x precision + "
    "untagged x elusion; count and recall intervals combine 97.5% intervals of precision "
    "and elusion (Bonferroni, joint coverage >= 95%)."
)


def weighted_share(y: np.ndarray, w: np.ndarray) -> tuple[float | None, float]:
    """Hajek estimate ``sum(w y) / sum(w)`` and Kish's effective size; (None, 0) if empty."""
    total = float(w.sum())
    if len(w) == 0 or total <= 0:
        return None, 0.0
    return float((w * y).sum()) / total, total * total / float((w * w).sum())


def _interval(estimate: float | None, low: float, high: float) -> dict[str, float | None]:
    return {"estimate": estimate, "low": low, "high": high}


def _predictions_calls(
    path: str | Path, design: AuditDesign, labels: Sequence[str]
) -> list[list[str]]:
    """The model's calls per release case, read from a prediction table (``id``, ``labels``)."""
    path = Path(path)
    df = tag_view(load_table(path), path)
    what = " (a table written by 'allegations predict')"
    for column in ("id", "labels"):
        require_column(df, column, path.name, "predictions", what=what)
    calls: dict[str, list[str]] = {}
    for cid, value in zip(df["id"].astype(str), df["labels"], strict=True):
        text = str(value)
        calls[cid] = (
            [str(x) for x in json.loads(text)] if text.startswith("[") else parse_label_string(text)
        )
    missing = [cid for cid in design.case_ids if cid not in calls]
    extra = len(set(calls) - set(design.case_ids))
    if missing or extra:
        raise InputError(
            f"{path.name} does not cover the audited release: {len(missing)} of its "
            f"{len(design.case_ids)} case id(s) are missing (first: "
            f"{missing[0] if missing else '-'}) and {extra} id(s) are not in it. Pass the "
            "predictions of the release that was audited."
        )
    known = {label_key(x): x for x in labels}
    unknown = sorted({x for v in calls.values() for x in v if label_key(x) not in known})
    if unknown:
        raise InputError(
            f"{path.name} has label(s) not in the store: {', '.join(unknown[:10])}; the store's "
            f"labels are {', '.join(labels)}."
        )
    return [[known[label_key(x)] for x in calls[cid]] for cid in design.case_ids]


def estimate_store(
    store_path: str | Path,
    predictions: str | Path | None = None,
    reviewer: str | None = None,
) -> dict[str, Any]:
    """Estimate per-label precision, recall, counts and elusion on the audited release.

    Parameters
    ----------
    store_path : str or Path
        A review store holding an audit (``allegations review --strategy audit``).
    predictions : str or Path, optional
        A prediction table of the audited release (``allegations predict`` output, columns
        ``id`` and ``labels``); by default the model's calls recorded when the audit began.
    reviewer : str, optional
        Use this reviewer's audit answers. By default: the one reviewer's, or with several
        the adjudicated answer where there is one and the shared answer elsewhere (see
        :func:`choose_decisions`).

    Returns
    -------
    dict
        JSON-ready: ``n_population``, ``n_audited``, ``reviewers``, ``answers`` (whose
        answers and how chosen), ``bands``, ``method``, ``per_label`` (label, tagged,
        n_audited, precision, recall, estimated_count, elusion, summary), ``agreement``
        and ``disagreements``.

    Raises
    ------
    StoreError
        If the store has no audit, no audited case yet, or reviewers disagree without
        adjudication and no ``reviewer`` was named.
    InputError
        If ``predictions`` does not cover the audited release, or ``reviewer`` has no
        decision.
    """
    with ReviewStore(store_path, create=False) as store:
        design = store.audit_design()
        if design is None:
            raise StoreError(
                f"Review store {store_path} holds no audit sample; draw one with 'allegations "
                "review DATA --model MODEL --store STORE --strategy audit'."
            )
        labels = store.labels
        standing = store.standing()
        audit_final, answers = choose_decisions(
            store, reviewer=reviewer, strategy="audit", standing=standing
        )
        agree = agreement(store, standing)
    calls = (
        _predictions_calls(predictions, design, labels)
        if predictions is not None
        else design.predicted
    )
    n_bands = len(design.edges) - 1
    bands = np.asarray(design.bands)
    sizes = np.bincount(bands, minlength=n_bands)
    audited = [
        pos for pos in dict.fromkeys(design.sample) if design.text_hashes[pos] in audit_final
    ]
    if not audited:
        raise StoreError(
            f"The audit sample in {store_path} has no decided case yet; review some with "
            "'allegations review ... --strategy audit' first."
        )
    n_audited_band = np.bincount(bands[audited], minlength=n_bands)
    weights = np.array([sizes[bands[p]] / n_audited_band[bands[p]] for p in audited])
    n_population = len(design.case_ids)
    per_label = []
    for label in labels:
        called_all = np.array([label in c for c in calls], dtype=bool)
        tagged = int(called_all.sum())
        c = called_all[audited]
        y = np.array([label in audit_final[design.text_hashes[p]].labels for p in audited], float)
        prec, n_prec = weighted_share(y[c], weights[c])
        elus, n_elus = weighted_share(y[~c], weights[~c])
        untagged = n_population - tagged
        p_lo, p_hi = wilson(prec, n_prec, Z_JOINT)
        e_lo, e_hi = wilson(elus, n_elus, Z_JOINT)
        p_mid = prec if tagged else 0.0
        e_mid = elus if untagged else 0.0
        count = None if p_mid is None or e_mid is None else tagged * p_mid + untagged * e_mid
        c_lo, c_hi = tagged * p_lo + untagged * e_lo, tagged * p_hi + untagged * e_hi
        recall = None if p_mid is None or not count else tagged * p_mid / count
        r_lo = _recall(tagged * p_lo, untagged * e_hi)
        r_hi = _recall(tagged * p_hi, untagged * e_lo)
        summary = f"{label}: {tagged} tagged, estimated {math.floor(c_lo)}-{math.ceil(c_hi)}"
        per_label.append(
            {
                "label": label,
                "tagged": tagged,
                "n_audited": len(audited),
                "n_audited_tagged": int(c.sum()),
                "n_audited_positive": int(y.sum()),
                "precision": _interval(prec, *wilson(prec, n_prec)),
                "recall": _interval(recall, r_lo, r_hi),
                "estimated_count": _interval(count, c_lo, c_hi),
                "elusion": {
                    **_interval(elus, *wilson(elus, n_elus)),
                    "n_untagged": untagged,
                    "missed": _interval(
                        None if elus is None else untagged * elus, untagged * e_lo, untagged * e_hi
                    ),
                },
                "summary": summary,
            }
        )
    reviewers: dict[str, int] = {}
    for d in audit_final.values():
        reviewers[d.reviewer] = reviewers.get(d.reviewer, 0) + 1
    return {
        "n_population": n_population,
        "n_sampled": len(design.sample),
        "n_audited": len(audited),
        "reviewers": sorted(reviewers),
        "audited_by_reviewer": reviewers,
        "answers": answers,
        "model_ids": sorted({d.model_id for d in audit_final.values()}),
        "predictions": str(predictions) if predictions is not None else None,
        "bands": [
            {
                "band": h,
                "confidence_low": design.edges[h],
                "confidence_high": design.edges[h + 1],
                "population": int(sizes[h]),
                "audited": int(n_audited_band[h]),
            }
            for h in range(n_bands)
        ],
        "n_unrepresented": int(sum(sizes[h] for h in range(n_bands) if not n_audited_band[h])),
        "method": METHOD,
        "per_label": per_label,
        "agreement": agree["per_label"],
        "agreement_whole_case": agree["whole_case"],
        "disagreements": agree["disagreements"],
    }


def _recall(tp: float, fn: float) -> float:
    return tp / (tp + fn) if tp + fn > 0 else 0.0
