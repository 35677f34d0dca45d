"""Each case's confidence and the out-of-fold distribution the model card keeps."""

from __future__ import annotations

import numpy as np

from allegations.model._confidence import confidence_of, review_distribution


def test_review_distribution_helpers():
    proba = np.array([[0.9, 0.1], [0.6, 0.3]])
    decided = np.array([[1, 0], [1, 0]])
    assert confidence_of(proba, decided).round(4).tolist() == [0.9, 0.6]
    out = review_distribution(np.array([0.95, 0.55, np.nan]))
    assert out["confidence_bands"]["shares"][5] == 0.5
    assert review_distribution(np.array([]))["confidence_quantiles"] is None
