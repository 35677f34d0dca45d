"""Whose answers count: on each case, the adjudicated answer where there is one, else the
answer the reviewers share; the cases on which they disagree without adjudication.

With one reviewer, theirs; with ``reviewer=NAME``, that reviewer's; with several reviewers,
on each case the adjudicated answer where there is one, else the answer the reviewers
share, and a case on which they disagree without adjudication stops the estimate
(:func:`choose_decisions`).
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError, StoreError
from ._store import Decision, ReviewStore

__all__ = ["choose_decisions", "disputes", "reviews_by_case"]


def reviews_by_case(standing: dict[tuple[str, str], Decision]) -> dict[str, dict[str, Decision]]:
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
    for thash, ds in reviews_by_case(standing).items():
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
                f"{', '.join(everyone) or '(none)'}. Pass one of them to `reviewer`."
            )
        mine = {h: d for (name, h), d in standing.items() if name == reviewer}
        return mine, {"source": "reviewer", "reviewers": [reviewer], "n_adjudicated": 0,
                      "n_agreed": 0}  # fmt: skip
    settled = _adjudications(standing)
    chosen: dict[str, Decision] = {}
    unsettled: list[str] = []
    n_agreed = 0
    for thash, ds in reviews_by_case(standing).items():
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
            f"{', '.join(unsettled[:5])}). Pass `reviewer` NAME to use one reviewer's "
            "answers, or settle the disputes: 'allegations review DATA --model MODEL --store "
            "STORE --adjudicate' (or on a sheet: 'allegations review DATA --model MODEL --store "
            "STORE --adjudicate --export-sheet disputes.xlsx', then 'allegations import "
            "disputes.xlsx --store STORE --reviewer NAME --adjudicate')."
        )
    chosen.update(settled)
    source = "adjudicated" if len(names) > 1 or settled else "single reviewer"
    return chosen, {"source": source, "reviewers": names, "n_adjudicated": len(settled),
                    "n_agreed": n_agreed}  # fmt: skip
