"""Agreement between coders: Krippendorff's alpha for nominal data.

Krippendorff (2011, "Computing Krippendorff's alpha-reliability"): each unit (a case)
holds the values its coders gave (missing codes are left out; units coded by fewer than
two coders are not pairable and drop out). The coincidence matrix counts, for every unit
with ``m_u`` values, each ordered pair of values from different coders with weight
``1 / (m_u - 1)``:

``o_ck = sum_u (number of c-k pairs in u) / (m_u - 1)``, ``n_c = sum_k o_ck``,
``n = sum_c n_c``,

and for nominal data

``alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k``.

Alpha is 1 for perfect agreement, 0 for agreement at chance level; it is undefined
(None) when every pairable value is the same (no variation to agree on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

__all__ = ["krippendorff_alpha_nominal", "n_pairable"]


def n_pairable(units: Iterable[Sequence[Hashable]]) -> int:
    """Number of units coded by at least two coders."""
    return sum(1 for values in units if len(values) >= 2)


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal values.

    Parameters
    ----------
    units : iterable of sequences
        Per unit, the values given by its coders (one per coder; leave missing codes out).
        Values are any hashable: a label set as a ``frozenset`` compares whole answers.

    Returns
    -------
    float or None
        Alpha, or None when fewer than two values are pairable or all of them are equal.
    """
    coincidence: dict[tuple[Hashable, Hashable], float] = {}
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    coincidence[(c, k)] = coincidence.get((c, k), 0.0) + pairs / (m - 1)
    totals: dict[Hashable, float] = {}
    for (c, _), o in coincidence.items():
        totals[c] = totals.get(c, 0.0) + o
    n = sum(totals.values())
    if n <= 1:
        return None
    observed = sum(o for (c, k), o in coincidence.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected
