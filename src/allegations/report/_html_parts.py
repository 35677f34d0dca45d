"""The building blocks of the HTML report: escaping, a figure or the note that it is
missing, an estimate with its interval, a table.

Every value from the inputs (labels, file names, notes, warnings) goes through :func:`esc`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from ._methods import pct

__all__ = ["NOT_RECORDED", "esc", "figure_html", "interval_text", "table_html", "warn_list"]

NOT_RECORDED = "not recorded by this model"


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def figure_html(svg: str | None, caption: str, what: str) -> str:
    if svg is None:
        return f'<p class="missing">{esc(what)}: {NOT_RECORDED}.</p>'
    return f'<figure class="fig">{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def interval_text(m: dict[str, Any] | None, as_pct: bool = True) -> str:
    if not m or m.get("estimate") is None:
        return "n/a"
    fmt = pct if as_pct else (lambda v: f"{float(v):,.0f}")
    text = fmt(m["estimate"])
    if m.get("low") is not None and m.get("high") is not None:
        text += f" ({fmt(m['low'])}-{fmt(m['high'])})"
    return text


def table_html(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, v: Any) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{esc(v)}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def warn_list(items: Sequence[str]) -> str:
    """A warning box listing ``items`` (escaped)."""
    return '<div class="warn"><ul>' + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul></div>"
