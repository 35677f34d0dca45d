import math

import pytest

from allegations.review._estimate import wilson as estimate_wilson
from allegations.stats._intervals import (
    audit_size_for,
    wilson,
    wilson_counts,
    wilson_half_width,
)
from allegations.stats._report_stats import metric_intervals


def test_wilson_never_collapses_at_the_ends():
    # FALSIFICATION was "100 (100-100)" in train's table: 3 of 3 right is not certainty.
    low, high = wilson_counts(3, 3)
    assert high == 1.0 and low == pytest.approx(0.4385, abs=1e-4)
    low, high = wilson_counts(0, 5)
    assert low == 0.0 and 0.4 < high < 0.5
    assert wilson_counts(0, 0) is None
    assert wilson(None, 0) == (0.0, 1.0)


def test_wilson_matches_the_textbook_value():
    # Brown, Cai & DasGupta (2001): 15 of 50 -> (0.1910, 0.4375) at 95%.
    low, high = wilson(0.3, 50)
    assert (round(low, 4), round(high, 4)) == (0.191, 0.4375)


def test_estimate_and_report_use_the_same_interval():
    assert estimate_wilson is wilson
    fit = metric_intervals({"tp": 4, "fp": 0, "fn": 6, "tn": 90})
    assert [fit["precision"]["low"], fit["precision"]["high"]] == wilson_counts(4, 4)
    assert [fit["recall"]["low"], fit["recall"]["high"]] == wilson_counts(4, 10)
    assert fit["precision"]["low"] < fit["precision"]["high"]
    assert metric_intervals({"tp": 0, "fp": 0, "fn": 3, "tn": 9})["precision"]["estimate"] is None


def test_audit_size_reaches_the_half_width():
    n_release = 3400

    def half_cases(n: int) -> float:
        return wilson_half_width(0.1, n * (n_release - 1) / (n_release - n)) * n_release

    n = audit_size_for(0.1, 30, n_release)
    assert n is not None and 1000 < n < n_release
    assert half_cases(n) <= 30 < half_cases(n - 1)
    n_wide = audit_size_for(0.1, 100, n_release)
    assert n_wide is not None and n_wide < n
    # Rarer labels need fewer cases for the same margin in cases; a never-tagged label
    # still needs some.
    assert audit_size_for(0.02, 30, n_release) < n
    assert audit_size_for(0.0, 30, n_release) >= 30
    assert audit_size_for(0.5, 0, n_release) is None
    assert audit_size_for(0.3, 5000, n_release) == 1
    assert audit_size_for(0.3, 0.5, n_release) == n_release
    assert math.isclose(wilson_half_width(0.5, 100), 0.0961, abs_tol=1e-3)
