"""The report's figures: small-multiple titles that do not overlap, co-occurrence only for
multi-label data (issue 19.9)."""

from __future__ import annotations

import itertools

import pytest

from allegations.report import _figures as figures
from allegations.report import _svg as svg


def test_no_cooccurrence_figure_for_single_label_data():
    single = {"labels": ["a", "b", "c"], "counts": [[5, 0, 0], [0, 7, 0], [0, 0, 2]]}
    assert figures.cooccurrence_figure(single) is None
    multi = {"labels": ["a", "b"], "counts": [[5, 1], [1, 7]]}
    assert figures.cooccurrence_figure(multi).startswith("<svg")
    # The report says why the figure is absent, not that the model did not record it.
    from allegations.report._html import _cooccurrence

    said = _cooccurrence(single)
    assert "no training case carries two labels" in said and "not recorded" not in said
    assert "not recorded" in _cooccurrence(None)


def test_panel_title_wraps_the_label_and_puts_the_figure_on_its_own_line():
    assert figures._panel_title("money", "AP 0.91") == "money\n(AP 0.91)"
    title = figures._panel_title("CRIMINAL ALLEGATION AND DEPARTMENTAL VIOLATIONS", "AP 0.39")
    assert all(len(line) <= figures.PANEL_TITLE_CHARS for line in title.splitlines())
    assert title.endswith("\n(AP 0.39)")
    assert figures._panel_title("x" * 60).count("\n") == 2  # a long word is broken


def _curve(ap: float) -> dict:
    return {"recall": [0.0, 0.5, 1.0], "precision": [1.0, 0.8, 0.3], "average_precision": ap}


@pytest.mark.slow
def test_small_multiple_titles_do_not_overlap(monkeypatch):
    names = [
        "CRIMINAL ALLEGATION",
        "DEPARTMENTAL VIOLATIONS",
        "LACK OF SERVICE",
        "PHYSICAL ABUSE",
        "UNPROFESSIONAL CONDUCT",
        "VERBAL ABUSE",
    ]
    drawn = []
    original = svg.svg_text

    def keep(fig, name, title):
        text = original(fig, name, title)  # draws the figure
        drawn.append(fig)
        return text

    monkeypatch.setattr(svg, "svg_text", keep)
    figures.pr_curves_figure({n: _curve(0.39) for n in names}, {}, [])
    calibration = {
        n: {"bins": [{"mean_predicted": 0.5, "fraction_positive": 0.4, "count": 3}], "ece": 0.05}
        for n in names
    }
    figures.calibration_figure(calibration)
    assert len(drawn) == 2
    for fig in drawn:
        renderer = fig.canvas.get_renderer()
        boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_visible()]
        assert len(boxes) == len(names)
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), (a, b)
