"""Estimates from an audit sample: precision, recall, counts and elusion per label; agreement.

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

Whose answers: with one reviewer, theirs; with ``reviewer=NAME``, that reviewer's; with
several reviewers, on each case the adjudicated answer where there is one, else the answer
the reviewers share, and a case on which they disagree without adjudication stops the
estimate (:func:`choose_decisions`).

Agreement (reviewers only, not adjudicators): Cohen's kappa per label between two
reviewers on the cases both decided (any strategy); with more reviewers, the mean of the
pairwise kappas (Light's kappa). Next to it: whole-case exact agreement (the share of
cases both coded with the same label set) and Krippendorff's alpha (nominal), over whole
label sets and per label (see :mod:`allegations.stats.agreement`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from ..batch.predict import tag_view
from ..errors import InputError, StoreError
from ..stats.agreement import krippendorff_alpha_nominal
from ..stats.intervals import Z95, wilson
from ..tables.read import load_table, require_column
from ..training.labels import label_key, parse_label_string
from .audit_store import AuditDesign
from .store import Decision, ReviewStore

__all__ = [
    "Z95",
    "Z_JOINT",
    "agreement",
    "choose_decisions",
    "disputes",
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
    option = "--predictions (a table written by allegations predict)"
    require_column(df, "id", path.name, option)
    require_column(df, "labels", path.name, option)
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


def _reviews(standing: dict[tuple[str, str], Decision]) -> dict[str, dict[str, Decision]]:
    """Reviewers' (not adjudicators') standing decisions, by text hash and reviewer."""
    by_case: dict[str, dict[str, Decision]] = {}
    for (name, thash), d in standing.items():
        if d.role == "reviewer":
            by_case.setdefault(thash, {})[name] = d
    return by_case


def _adjudications(standing: dict[tuple[str, str], Decision]) -> dict[str, Decision]:
    out: dict[str, Decision] = {}
    for d in sorted(standing.values(), key=lambda d: d.seq):
        if d.role == "adjudicator":
            out[d.text_hash] = d  # the latest adjudication settles the case
    return out


def disputes(
    store: ReviewStore, standing: dict[tuple[str, str], Decision] | None = None
) -> dict[str, list[Decision]]:
    """Cases on which reviewers' answers differ and no adjudication settles them.

    Returns
    -------
    dict
        Text hash -> the reviewers' standing decisions on it (oldest first).
    """
    standing = store.standing() if standing is None else standing
    settled = _adjudications(standing)
    out: dict[str, list[Decision]] = {}
    for thash, ds in _reviews(standing).items():
        if thash not in settled and len({frozenset(d.labels) for d in ds.values()}) > 1:
            out[thash] = sorted(ds.values(), key=lambda d: d.seq)
    return out


def choose_decisions(
    store: ReviewStore,
    *,
    reviewer: str | None = None,
    strategy: str | None = None,
    standing: dict[tuple[str, str], Decision] | None = None,
) -> tuple[dict[str, Decision], dict[str, Any]]:
    """The one decision per case that an estimate uses, and how it was chosen.

    Parameters
    ----------
    store : ReviewStore
    reviewer : str, optional
        Use this person's decisions only.
    strategy : str, optional
        Only decisions made under this strategy (``"audit"`` for the estimate).

    Returns
    -------
    (dict, dict)
        Text hash -> decision; and ``source`` ("reviewer", "single reviewer" or
        "adjudicated"), ``reviewers``, ``n_adjudicated``, ``n_agreed`` (cases several
        reviewers coded alike).

    Raises
    ------
    InputError
        If ``reviewer`` has no decision in the store.
    StoreError
        If several reviewers disagree on cases that no adjudication settles: the message
        lists the reviewers, the number of disputed cases and how to settle them.
    """
    standing = store.standing() if standing is None else standing
    if strategy is not None:
        standing = {k: d for k, d in standing.items() if d.strategy == strategy}
    names = sorted({d.reviewer for d in standing.values() if d.role == "reviewer"})
    if reviewer is not None:
        everyone = store.reviewers()
        if reviewer not in everyone:
            raise InputError(
                f"Reviewer '{reviewer}' has no decision in {store.path}; reviewers are: "
                f"{', '.join(everyone) or '(none)'}. Pass one of them to --reviewer."
            )
        mine = {h: d for (name, h), d in standing.items() if name == reviewer}
        return mine, {"source": "reviewer", "reviewers": [reviewer], "n_adjudicated": 0,
                      "n_agreed": 0}  # fmt: skip
    settled = _adjudications(standing)
    chosen: dict[str, Decision] = {}
    unsettled: list[str] = []
    n_agreed = 0
    for thash, ds in _reviews(standing).items():
        if thash in settled:
            continue
        if len({frozenset(d.labels) for d in ds.values()}) > 1:
            unsettled.append(ds[max(ds, key=lambda r: ds[r].seq)].case_id)
            continue
        n_agreed += len(ds) > 1
        chosen[thash] = max(ds.values(), key=lambda d: d.seq)
    if unsettled:
        raise StoreError(
            f"{len(names)} reviewers ({', '.join(names)}) answered in {store.path} and "
            f"disagree on {len(unsettled)} case(s) no adjudication settles (first ids: "
            f"{', '.join(unsettled[:5])}). Pass --reviewer NAME to use one reviewer's "
            "answers, or settle the disputes: 'allegations review DATA --model MODEL --store "
            "STORE --adjudicate' (or add --export-sheet disputes.xlsx and then 'allegations "
            "import disputes.xlsx --store STORE --reviewer NAME --adjudicate')."
        )
    chosen.update(settled)
    source = "adjudicated" if len(names) > 1 or settled else "single reviewer"
    return chosen, {"source": source, "reviewers": names, "n_adjudicated": len(settled),
                    "n_agreed": n_agreed}  # fmt: skip


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
    by_case = _reviews(standing)
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
