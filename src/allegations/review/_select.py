"""Which cases to label next: selection strategies for the review queue, sheets and benchmarks.

:func:`select` returns the positions of the ``n`` texts to label next, best first. With a
model it ranks by the model's probabilities; with no model and a codebook it ranks by the
codebook alone (cold start: :func:`codebook_scores`).

Strategies (``benchmarks/label_efficiency.py`` measures them; ``docs/learning.md``):

- ``uncertain``: least confident first (the confidence of :meth:`Tagger.review`).
- ``balanced``: one stream per label, taken in turn, each ordered by the chance that the
  model's decision on that label is wrong: a rare label gets as many cases as a common one.
- ``mixed``: 40% ``balanced``, 40% ``uncertain`` and 20% random cases, interleaved; the
  random share keeps pure uncertainty sampling from asking only about ambiguous cases
  (on noisy labels it keeps asking about the same confusions).
- ``random``: a seeded shuffle.
- ``default``: the strategy that measured best on the development splits (:data:`DEFAULT`).

Every strategy but ``uncertain`` and ``random`` has a diversity guard: a case whose
near-duplicate (:func:`allegations.training.near_duplicate_pairs`) is already in the batch
is passed over, so a batch is never a run of near-copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Tagger
from ..stats import wrong_chance
from ..training import Codebook, near_duplicate_pairs

__all__ = [
    "COLD_NONE_SHARE",
    "DEFAULT",
    "SELECT_STRATEGIES",
    "codebook_scores",
    "cold_order",
    "rank_by_scores",
    "select",
]

SELECT_STRATEGIES = ("default", "uncertain", "balanced", "mixed", "random")
#: The strategy ``default`` stands for (chosen on benchmarks/label_efficiency.py's runs).
DEFAULT = "balanced"
#: Shares of the streams of ``mixed``: per-label (together), least confident, random.
MIXED_SHARES = (0.4, 0.4, 0.2)
#: Share of a cold-start batch drawn from cases that match no label of the codebook.
COLD_NONE_SHARE = 0.1
#: The diversity guard looks for near-duplicates among this many first picks.
GUARD_WINDOW = 3000

_WORD = re.compile(r"\w+")


def _words(text: Any) -> str:
    return " ".join(_WORD.findall(str(text).casefold())) if isinstance(text, str) else ""


# -- merging streams ----------------------------------------------------------------------
def _merge(
    streams: Sequence[Iterable[int]],
    weights: Sequence[float],
    n: int,
    group: dict[int, int] | None = None,
) -> list[int]:
    """Interleave ranked streams of positions by weight (smooth weighted round robin).

    A position already taken, or (with ``group``) in the near-duplicate group of one
    taken, is passed over. An exhausted stream drops out.
    """
    iters: list[Iterator[int]] = [iter(s) for s in streams]
    live = [w > 0 for w in weights]
    credit = [0.0] * len(iters)
    chosen: list[int] = []
    taken: set[int] = set()
    groups_taken: set[int] = set()
    while len(chosen) < n and any(live):
        total = sum(w for w, ok in zip(weights, live, strict=True) if ok)
        for k, ok in enumerate(live):
            if ok:
                credit[k] += weights[k]
        k = max((k for k, ok in enumerate(live) if ok), key=lambda k: (credit[k], -k))
        credit[k] -= total
        for i in iters[k]:
            g = group.get(i) if group else None
            if i in taken or (g is not None and g in groups_taken):
                continue
            chosen.append(i)
            taken.add(i)
            if g is not None:
                groups_taken.add(g)
            break
        else:
            live[k] = False
    return chosen


def _near_groups(texts: Sequence[Any], positions: Sequence[int]) -> dict[int, int]:
    """Near-duplicate group (smallest member) of each of ``positions`` that has a copy."""
    if len(positions) < 2:
        return {}
    pairs = near_duplicate_pairs([_words(texts[i]) for i in positions])
    parent = list(range(len(positions)))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs.tolist():
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[int, int] = {}
    members: dict[int, int] = {}
    for k in range(len(positions)):
        members[root(k)] = members.get(root(k), 0) + 1
    for k, pos in enumerate(positions):
        if members[root(k)] > 1:
            out[int(pos)] = int(positions[root(k)])
    return out


def _guarded(
    streams: Sequence[Sequence[int]],
    weights: Sequence[float],
    n: int,
    texts: Sequence[Any] | None,
) -> list[int]:
    """:func:`_merge` with the diversity guard over the first picks."""
    if texts is None:
        return _merge(streams, weights, n)
    # Near-duplicates are looked for among the first picks only (a screen shows a few
    # hundred cases; a release may hold 100,000): a copy beyond the window is not passed over.
    window = _merge(streams, weights, GUARD_WINDOW)
    return _merge(streams, weights, n, _near_groups(texts, window))


# -- ranking from scores ------------------------------------------------------------------
def _label_streams(wrong: np.ndarray) -> list[list[int]]:
    """Per label: positions by the chance the decision on that label is wrong (ties: file order)."""
    return [np.argsort(-wrong[:, j], kind="stable").tolist() for j in range(wrong.shape[1])]


def rank_by_scores(
    proba: np.ndarray,
    decided: np.ndarray,
    n: int,
    *,
    strategy: str,
    texts: Sequence[Any] | None = None,
    seed: int = 0,
) -> list[int]:
    """Rank cases from a model's probabilities and decisions.

    Parameters
    ----------
    proba : numpy.ndarray, shape (n_cases, n_labels)
        Calibrated probabilities.
    decided : numpy.ndarray, shape (n_cases, n_labels)
        The model's 0/1 decisions.
    n : int
        How many positions to return.
    strategy : str
        One of :data:`SELECT_STRATEGIES`.
    texts : sequence of str, optional
        The narratives, for the diversity guard (no guard without them).
    seed : int
        Seeds the random share and ``random``.

    Returns
    -------
    list of int
    """
    strategy = _check_strategy(strategy)
    n_cases = len(proba)
    n = max(0, min(int(n), n_cases))
    rng = np.random.default_rng(seed)
    if strategy == "random":
        return [int(i) for i in rng.permutation(n_cases)[:n]]
    if n_cases == 0 or proba.shape[1] == 0:
        return list(range(n))
    wrong = wrong_chance(proba, decided)
    least_confident = np.argsort(wrong.max(axis=1) * -1.0, kind="stable").tolist()
    if strategy == "uncertain":
        return [int(i) for i in least_confident[:n]]
    per_label = _label_streams(wrong)
    if strategy == "balanced":
        return _guarded(per_label, [1.0] * len(per_label), n, texts)
    shares = MIXED_SHARES
    streams: list[Sequence[int]] = [*per_label, least_confident, rng.permutation(n_cases).tolist()]
    weights = [shares[0] / len(per_label)] * len(per_label) + [shares[1], shares[2]]
    return _guarded(streams, weights, n, texts)


def _check_strategy(strategy: str) -> str:
    if strategy not in SELECT_STRATEGIES:
        raise InputError(
            f"Unknown selection strategy {strategy!r}; choose one of "
            f"{', '.join(SELECT_STRATEGIES)}."
        )
    return DEFAULT if strategy == "default" else strategy


# -- cold start from the codebook ---------------------------------------------------------
def _label_query(entry: Any) -> str:
    """The text a label is matched on: name, definition, include notes, seed phrases (twice)."""
    parts = [entry.name.replace("_", " "), entry.definition, *entry.include]
    parts += list(entry.seed_phrases) * 2
    return " ".join(parts)


def codebook_scores(texts: Sequence[Any], codebook: Codebook) -> np.ndarray:
    """How well each text matches each codebook label, from the codebook alone (0-1).

    Half of the score is whether one of the label's seed phrases occurs in the text
    (case-insensitive, on word boundaries), half the TF-IDF cosine similarity (word 1-2
    grams, English stop words removed, fitted on the texts) of the text to the label's
    name, definition, include notes and seed phrases, relative to the best-matching
    text. Exclude notes describe negatives and are not used.

    Returns
    -------
    numpy.ndarray, shape (n_texts, n_labels)
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = [_words(t) for t in texts]
    queries = [_words(_label_query(e)) for e in codebook.labels]
    n_labels = len(queries)
    out = np.zeros((len(words), n_labels))
    if not words:
        return out
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    try:
        X = vectorizer.fit_transform(words + queries)
    except ValueError:  # no word at all
        X = None
    if X is not None:
        cosine = (X[: len(words)] @ X[len(words) :].T).toarray()
        top = cosine.max(axis=0)
        out += 0.5 * np.divide(cosine, top, out=np.zeros_like(cosine), where=top > 0)
    for j, entry in enumerate(codebook.labels):
        phrases = [p for p in (_words(s) for s in entry.seed_phrases) if p]
        if not phrases:
            continue
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")
        out[:, j] += 0.5 * np.fromiter((bool(pattern.search(w)) for w in words), float, len(words))
    return out


def cold_order(scores: np.ndarray, texts: Sequence[Any] | None, n: int, seed: int) -> list[int]:
    """The cold-start order from :func:`codebook_scores`: labels in turn, each taking its
    best-matching case, and a share (:data:`COLD_NONE_SHARE`) of cases matching no label."""
    if n <= 0 or len(scores) == 0:
        return []
    per_label = [np.argsort(-scores[:, j], kind="stable").tolist() for j in range(scores.shape[1])]
    best = scores.max(axis=1) if scores.shape[1] else np.zeros(len(scores))
    # "Matches no label": no seed phrase and a below-median similarity, in random order.
    weak = np.flatnonzero((best < 0.5) & (best <= np.median(best)))
    none_stream = np.random.default_rng(seed).permutation(weak).tolist()
    share = COLD_NONE_SHARE
    weights = [(1.0 - share) / max(len(per_label), 1)] * len(per_label) + [share]
    return _guarded([*per_label, none_stream], weights, n, texts) or list(range(n))


# -- the public function ------------------------------------------------------------------
def select(
    texts: Sequence[Any],
    n: int,
    *,
    model: Tagger | None = None,
    codebook: Codebook | None = None,
    strategy: str = "default",
    seed: int = 0,
) -> list[int]:
    """The positions of the ``n`` texts to label next, best first.

    Parameters
    ----------
    texts : sequence of str
        The unlabelled narratives to choose from.
    n : int
        How many to choose (all of them if ``n`` exceeds their number).
    model : Tagger, optional
        The current model. Without one, the codebook ranks the texts (cold start).
    codebook : Codebook, optional
        Used when there is no model: every label gets likely positives in turn, plus a
        share of cases that match no label (:data:`COLD_NONE_SHARE`).
    strategy : str
        ``default``, ``uncertain``, ``balanced``, ``mixed`` or ``random`` (see the module).
    seed : int
        Seeds every random draw: the same inputs give the same list.

    Returns
    -------
    list of int
        Distinct positions in ``texts``.

    Raises
    ------
    InputError
        An unknown strategy, a negative ``n``, or neither a model nor a codebook for a
        strategy other than ``random``.
    """
    strategy = _check_strategy(strategy)
    if int(n) < 0:
        raise InputError(f"n must be 0 or more, not {n}.")
    texts = list(texts)
    n = min(int(n), len(texts))
    if n == 0:
        return []
    if strategy == "random":
        return [int(i) for i in np.random.default_rng(seed).permutation(len(texts))[:n]]
    if model is None:
        if codebook is None:
            raise InputError(
                f"Strategy {strategy!r} needs a model or a codebook; pass one (`model` or "
                "`codebook`), or use strategy 'random'."
            )
        return cold_order(codebook_scores(texts, codebook), texts, n, seed)
    proba = model.predict_proba(texts)
    return rank_by_scores(proba, model.decide(proba), n, strategy=strategy, texts=texts, seed=seed)
