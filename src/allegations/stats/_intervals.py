"""One interval for one kind of quantity, used by every output.

A share (precision, recall, an audit's weighted precision or elusion) gets a Wilson score
interval (Wilson 1927; recommended by Brown, Cai & DasGupta 2001): it never collapses to a
point at 0% or 100%, so a label predicted three times, all right, reads "100% (44%-100%)",
not "100% (100%-100%)". ``train``'s table, the model card, the report and ``estimate``
all call :func:`wilson` (or :func:`wilson_counts`), so the same quantity prints the same
interval everywhere.

:func:`audit_size_for` inverts the interval: the number of audited cases that would bring a
label's count interval to a given half-width.
"""

from __future__ import annotations

import math

__all__ = [
    "Z95",
    "wilson",
    "wilson_counts",
    "wilson_half_width",
    "audit_size_for",
]

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


def wilson(p_hat: float | None, n_eff: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p_hat`` measured on ``n_eff`` cases.

    ``n_eff`` may be fractional (Kish's effective size of a weighted share). With no case
    (``n_eff <= 0`` or ``p_hat`` None) the interval is the whole range, ``(0, 1)``.
    """
    if p_hat is None or n_eff <= 0:
        return 0.0, 1.0
    z2 = z * z
    denom = 1.0 + z2 / n_eff
    centre = (p_hat + z2 / (2.0 * n_eff)) / denom
    half = z * math.sqrt(p_hat * (1.0 - p_hat) / n_eff + z2 / (4.0 * n_eff * n_eff)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_counts(k: int, n: int, z: float = Z95, digits: int = 4) -> list[float] | None:
    """Wilson interval of ``k`` successes in ``n`` cases as ``[low, high]``; None if ``n == 0``."""
    if n <= 0:
        return None
    low, high = wilson(k / n, n, z)
    return [round(low, digits), round(high, digits)]


def wilson_half_width(p: float, n: float, z: float = Z95) -> float:
    """Half the width of the Wilson interval of a share ``p`` measured on ``n`` cases."""
    low, high = wilson(p, n, z)
    return (high - low) / 2.0


def audit_size_for(
    prevalence: float, half_width_cases: float, n_release: int, z: float = Z95
) -> int | None:
    """Audit size that brings a count's 95% interval to ``+- half_width_cases`` cases.

    The count is ``prevalence * n_release``; a simple random audit of ``n`` of the
    ``n_release`` cases measures the prevalence with a Wilson interval on the effective
    size ``n (N - 1) / (N - n)`` (the finite-population correction: auditing every case
    leaves no sampling error), so the count's half-width is ``n_release`` times that
    Wilson half-width. Returns the smallest such ``n`` (bisection); None for a target
    below zero cases or an empty release.

    Parameters
    ----------
    prevalence : float
        The best guess of the label's share in the release (e.g. the share tagged); values
        are clipped to [0.01, 0.99] so a label never tagged still needs some audit.
    half_width_cases : float
        The margin wanted, in cases.
    n_release : int
        Cases in the release.
    """
    if n_release <= 0 or half_width_cases <= 0:
        return None
    p = min(max(float(prevalence), 0.01), 0.99)
    target = half_width_cases / n_release

    def half(n: int) -> float:
        if n >= n_release:
            return 0.0
        return wilson_half_width(p, n * (n_release - 1) / (n_release - n), z)

    lo, hi = 1, int(n_release)
    while lo < hi:
        mid = (lo + hi) // 2
        if half(mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    return lo
