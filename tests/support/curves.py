"""A learning curve with known numbers (tests/training/test_curve_file.py,
tests/report/test_curve.py)."""

from __future__ import annotations

from allegations.training._curve import LearningCurve


def canned_curve() -> LearningCurve:
    """A curve with known numbers, as learning_curve returns one (no training)."""
    points = [
        {
            "fraction": f,
            "n_cases": n,
            "micro_f1": micro,
            "micro_f1_95ci": [round(micro - 0.03, 4), round(micro + 0.03, 4)],
            "macro_f1": macro,
            "macro_f1_95ci": [round(macro - 0.05, 4), round(macro + 0.05, 4)],
            "per_label": {"money": macro + 0.1, "query": macro - 0.1},
        }
        for f, n, micro, macro in (
            (0.25, 50, 0.61, 0.42),
            (0.5, 100, 0.68, 0.51),
            (0.75, 150, 0.72, 0.57),
            (1.0, 200, 0.75, 0.61),
        )
    ]
    return LearningCurve(
        points=points,
        labels=["money", "query"],
        macro_labels=["money", "query"],
        n_seeds=3,
        sentence="Macro-F1 still rose by 0.04 over the last quarter of the labelled cases: "
        "more labels will likely help, most for query.",
        rise={"money": 0.04, "query": 0.04},
        seed=7,
        n_folds=5,
    )
