from __future__ import annotations

import numpy as np

from allegations.model._calibration import PlattCalibrator


def test_platt_calibration_is_monotone_and_calibrated():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2000, 1)) * 3
    y = (rng.random((2000, 1)) < 1 / (1 + np.exp(-scores))).astype(int)
    cal = PlattCalibrator().fit(scores * 0.5 + 1, y)
    proba = cal.transform(scores * 0.5 + 1)
    order = np.argsort(scores[:, 0])
    assert np.all(np.diff(proba[order, 0]) >= -1e-12)
    assert abs(proba.mean() - y.mean()) < 0.02
