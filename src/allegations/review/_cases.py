"""Cases to review: the model's view of each narrative, evidence, queue order, audit draws.

:func:`load_cases` runs the model once over a table; :func:`order_cases` and
:func:`draw_audit` decide which cases a review shows, and in which order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..batch import tag_chunk
from ..errors import InputError
from ..model import Tagger
from ..tables import TableOptions, load_table, require_column
from ._audit_store import AuditDesign
from ._select import rank_by_scores
from ._store import text_hash

__all__ = [
    "AUDIT_EDGES",
    "Case",
    "DEFAULT_AUDIT_SIZE",
    "STRATEGIES",
    "allocate",
    "case_confidence",
    "draw_audit",
    "evidence_spans",
    "load_cases",
    "order_cases",
    "parse_evidence",
    "release_fingerprint",
]

STRATEGIES = ("uncertain", "audit", "random", "balanced", "mixed", "default")
#: Confidence bands of the audit sample (the case's ``confidence``, as ``predict`` gives it,
#: or ``|2p - 1|`` of one label with ``label``).
AUDIT_EDGES = (0.0, 0.25, 0.5, 0.75, 1.0)
DEFAULT_AUDIT_SIZE = 200


@dataclass
class Case:
    """One narrative with the model's view of it.

    ``evidence`` (phrases per predicted label) is worked out when a screen first asks for
    it (:meth:`phrases`): a review shows a few hundred cases of a release that may hold
    100,000, and the evidence of a case costs more than tagging it.
    """

    case_id: str
    text: str
    text_hash: str
    scores: dict[str, float]
    predicted: list[str]
    confidence: float
    evidence: dict[str, list[str]] = field(default_factory=dict)
    explain: Callable[[], dict[str, list[str]]] | None = field(
        default=None, repr=False, compare=False
    )
    #: The model whose view this is, when not the session's (the learning loop's models).
    model_id: str | None = None

    def phrases(self) -> dict[str, list[str]]:
        """The evidence phrases per label, computed once on first use."""
        if self.explain is not None:
            self.evidence, self.explain = self.explain(), None
        return self.evidence


# -- evidence ---------------------------------------------------------------------------
_EVIDENCE_ITEM = re.compile(r'\s*([^:|]+?)\s*:\s*"((?:[^"\\]|\\.)*)"\s*')


def parse_evidence(value: Any) -> dict[str, list[str]]:
    """Parse an ``evidence`` cell (``label: "phrase" | label: "phrase"``) into phrases per label.

    Empty or missing values give ``{}``; items that do not parse are ignored.
    """
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, dict):  # JSON Lines output may nest it
        return {
            str(k): [str(p) for p in (v if isinstance(v, list) else [v])] for k, v in value.items()
        }
    out: dict[str, list[str]] = {}
    for part in str(value).split(" | "):
        match = _EVIDENCE_ITEM.fullmatch(part)
        if match and match.group(2).strip():
            phrase = match.group(2).replace('\\"', '"')
            out.setdefault(match.group(1), []).append(phrase)
    return out


def evidence_spans(text: str, phrases: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of every case-insensitive occurrence of ``phrases`` in ``text``."""
    spans: list[tuple[int, int]] = []
    folded = text.casefold()
    for phrase in phrases:
        needle = phrase.casefold().strip()
        if not needle or len(needle) != len(phrase.strip()):
            continue
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    return sorted(spans)


# -- cases and queues -------------------------------------------------------------------
def load_cases(
    data_path: str | Path,
    model: Tagger,
    *,
    text_col: str = "text",
    id_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    table: TableOptions | None = None,
) -> list[Case]:
    """Read a table and run the model once over it; return one :class:`Case` per row.

    ``table`` (how to read it: columns, sheet, encoding, separator, header row) replaces
    ``text_col``, ``id_col``, ``sheet`` and ``encoding`` when given.

    Raises
    ------
    InputError, ColumnError
        If the table cannot be read, lacks a column, or has repeated ids.
    """
    data_path = Path(data_path)
    if table is None:
        table = TableOptions(text_col=text_col, id_col=id_col, sheet=sheet, encoding=encoding)
    text_col, id_col = table.text_col, table.id_col
    df = load_table(data_path, table)
    require_column(df, text_col, data_path.name, "text_col")
    if id_col is not None:
        require_column(df, id_col, data_path.name, "id_col")
        ids = df[id_col].astype(str).tolist()
    else:
        ids = [str(i) for i in range(1, len(df) + 1)]
    if not ids:
        raise InputError(f"{data_path.name} has no data rows; pass a table with narratives.")
    seen: set[str] = set()
    repeated = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if repeated:
        raise InputError(
            f"Column '{id_col}' of {data_path.name} repeats {len(repeated)} id(s) (first: "
            f"{repeated[0]!r}); review needs one id per case. Pass another `id_col`."
        )
    texts = ["" if t is None else str(t) for t in df[text_col].tolist()]
    # As predict does: each distinct text is scored once (releases repeat narratives).
    if isinstance(model, Tagger):
        frame = tag_chunk(model, texts, ids).frame
    else:  # another scorer with the same predict (the codebook's, before any model)
        frame = model.predict(texts, ids=ids)
    labels = list(model.labels)
    # Whole columns to Python once (a release may hold 100,000 rows); the few distinct label
    # combinations are split once each, and each distinct text is hashed once.
    proba = frame[[f"p_{label}" for label in labels]].to_numpy(dtype=float).tolist()
    conf = frame["confidence"].to_numpy(dtype=float).tolist()
    split: dict[str, tuple[str, ...]] = {}
    hashes: dict[str, str] = {}
    cases = []
    for cid, text, joined, row, confidence in zip(
        ids, texts, frame["labels"].tolist(), proba, conf, strict=True
    ):
        found = split.get(joined)
        if found is None:
            found = split[joined] = tuple(s for s in str(joined).split(";") if s)
        predicted = list(found)
        digest = hashes.get(text)
        if digest is None:
            digest = hashes[text] = text_hash(text)
        cases.append(
            Case(
                case_id=cid,
                text=text,
                text_hash=digest,
                scores=dict(zip(labels, row, strict=True)),
                predicted=predicted,
                confidence=confidence,
                explain=_explainer(model, text, predicted) if predicted else None,
            )
        )
    return cases


def _explainer(
    model: Tagger, text: str, predicted: list[str]
) -> Callable[[], dict[str, list[str]]]:
    """Evidence of one case's predicted labels, when asked for (a model without
    ``explain`` cites none)."""

    def explain() -> dict[str, list[str]]:
        cite = getattr(model, "explain", None)
        if cite is None:
            return {}
        decided = np.array([[label in predicted for label in model.labels]], dtype=np.int8)
        out: dict[str, list[str]] = {}
        for item in cite([text], decided)[0]:
            out.setdefault(str(item["label"]), []).append(str(item["phrase"]))
        return out

    return explain


def case_confidence(case: Case, label: str | None) -> float:
    """The confidence that orders the queue: the case's, or ``|2p - 1|`` of one label."""
    if label is None:
        return case.confidence
    return abs(2.0 * case.scores[label] - 1.0)


def order_cases(
    cases: Sequence[Case],
    strategy: str,
    *,
    label: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[int]:
    """Positions of ``cases`` in review order for every strategy but ``audit``.

    ``uncertain``: least confident first (ties in file order). ``random``: a seeded
    shuffle. ``balanced``, ``mixed`` and ``default``: :func:`allegations.select`'s
    strategies, from the cases' scores (``label`` restricts them to that label's column).
    ``limit`` keeps the first N of that order, so a rerun with the same options walks the
    same queue.
    """
    if strategy == "uncertain":
        conf = np.array([case_confidence(c, label) for c in cases])
        order = np.argsort(conf, kind="stable").tolist()
    elif strategy == "random":
        order = np.random.default_rng(seed).permutation(len(cases)).tolist()
    elif strategy in ("balanced", "mixed", "default"):
        names = [label] if label is not None else list(cases[0].scores) if cases else []
        proba = np.array([[c.scores[x] for x in names] for c in cases], dtype=float)
        decided = np.array([[x in c.predicted for x in names] for c in cases], dtype=bool)
        n = len(cases) if limit is None else min(limit, len(cases))
        order = rank_by_scores(
            proba.reshape(len(cases), len(names)),
            decided.reshape(len(cases), len(names)),
            n,
            strategy=strategy,
            texts=[c.text for c in cases],
            seed=seed,
        )
    else:
        raise InputError(f"Unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")
    return [int(i) for i in order[:limit]] if limit is not None else [int(i) for i in order]


def release_fingerprint(cases: Sequence[Case], label: str | None) -> str:
    """A hash of the release's ids and texts (and the banding label)."""
    digest = hashlib.sha256(f"label={label or ''}\n".encode())
    for case in cases:
        digest.update(f"{case.case_id}\t{case.text_hash}\n".encode())
    return digest.hexdigest()


def allocate(sizes: Sequence[int], total: int) -> list[int]:
    """Split ``total`` draws as evenly as possible over strata of ``sizes`` (capped by size)."""
    alloc = [0] * len(sizes)
    left = min(total, sum(sizes))
    while left > 0:
        open_strata = [h for h, n in enumerate(sizes) if alloc[h] < n]
        share = max(1, left // len(open_strata))
        for h in open_strata:
            take = min(share, sizes[h] - alloc[h], left)
            alloc[h] += take
            left -= take
            if left == 0:
                break
    return alloc


def draw_audit(
    cases: Sequence[Case],
    *,
    size: int = DEFAULT_AUDIT_SIZE,
    label: str | None = None,
    seed: int = 0,
    edges: Sequence[float] = AUDIT_EDGES,
) -> AuditDesign:
    """Draw a stratified random sample across confidence bands.

    Each case falls in the band of its confidence (``edges``); ``size`` draws are split
    evenly over the bands (a band smaller than its share gives all its cases, the rest
    goes to the others) and drawn without replacement with ``seed``; the sample is then
    shuffled so that the order gives no hint of the band.
    """
    conf = np.array([case_confidence(c, label) for c in cases])
    bands = np.searchsorted(np.asarray(edges[1:-1]), conf, side="right")
    n_bands = len(edges) - 1
    sizes = [int((bands == h).sum()) for h in range(n_bands)]
    alloc = allocate(sizes, size)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for h in range(n_bands):
        members = np.flatnonzero(bands == h)
        if alloc[h]:
            chosen.extend(int(i) for i in rng.choice(members, size=alloc[h], replace=False))
    order = rng.permutation(len(chosen))
    return AuditDesign(
        case_ids=[c.case_id for c in cases],
        text_hashes=[c.text_hash for c in cases],
        bands=[int(b) for b in bands],
        predicted=[list(c.predicted) for c in cases],
        sample=[chosen[i] for i in order],
        edges=[float(e) for e in edges],
        fingerprint=release_fingerprint(cases, label),
        seed=seed,
        label=label or "",
    )
