"""How every figure of the report looks and is serialised: the Okabe-Ito colour-blind-safe
palette, the matplotlib settings, an Agg canvas (no pyplot, no global backend switch) and
inline SVG text.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["GREY", "OKABE_ITO", "draw_figure", "svg_text"]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
GREY = "#999999"

_RC: Any = {  # typed loosely: the rcParams stubs list only literal keys
    "svg.hashsalt": "allegations-report",  # stable ids: same data, same bytes
    "svg.fonttype": "path",  # text as outlines: looks the same in every browser and in print
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO.values())),
}


def svg_text(fig: Figure, name: str, title: str) -> str:
    """Serialise ``fig`` as inline SVG: no XML prolog, ids prefixed with ``name``.

    The ids are prefixed so that several figures can share one HTML page.
    """
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    safe = title.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    text = text.replace("<svg ", f'<svg role="img" aria-label="{safe}" ', 1)
    return text


def draw_figure(width: float, height: float, draw: Any, name: str, title: str, **kw: Any) -> str:
    """Call ``draw(fig, **kw)`` on a new ``width`` x ``height`` inch figure; return its SVG."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)  # Agg: headless, the same on every machine
        draw(fig, **kw)
        return svg_text(fig, name, title)
