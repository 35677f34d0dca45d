"""Review sheets: a queue of cases written as a spreadsheet, to be filled in anywhere.

:func:`write_sheet` writes ``id``, ``text``, one empty column per label, ``none_apply``
(when a case may have no label) and ``notes``; XLSX with a frozen header, sized columns,
wrapped text and the instructions on a second sheet, or CSV. The store remembers which
case each row holds (``sheets`` / ``sheet_rows``), so that
:func:`allegations.review._sheet_import.import_sheet` can read the filled sheet back (the
reading rule is stated there and on the instructions sheet).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import OutputError
from ..tables import EXCEL_MAX_CELL, atomic_write, check_excel_rows, neutralise_formula, write_table
from ..training import label_key
from ._cases import Case
from ._sheet_store import SheetRow
from ._store import Decision, ReviewStore

__all__ = [
    "NONE_COL",
    "NOTES_COL",
    "SHEET_SUFFIXES",
    "is_sheet",
    "write_sheet",
]

log = logging.getLogger(__name__)

SHEET_SUFFIXES = (".xlsx", ".csv")
NONE_COL = "none_apply"
NOTES_COL = "notes"
ANSWER_PREFIX = "answer: "
SHEET_ID_LABEL = "sheet id (keep this: it ties the sheet to its review store)"
_FIXED = ("id", "text", NOTES_COL, NONE_COL)


def is_sheet(path: str | Path) -> bool:
    """True when ``path`` names a review sheet format (.xlsx or .csv)."""
    return Path(path).suffix.lower() in SHEET_SUFFIXES


def _instructions(
    labels: Sequence[str], *, single_label: bool, allow_none: bool, purpose: str
) -> list[str]:
    lines = [
        "How to fill in this sheet",
        "",
        "One row is one case. Read the text, then type a mark in the column of each label "
        "that applies: 1, x, yes or y. Leave the other label cells empty (0 or no also mean no).",
    ]
    if single_label:
        lines.append(
            "This model gives exactly ONE label per case: mark exactly one label column per "
            "row; a row with two marks is refused on import."
        )
    if allow_none:
        lines.append(
            f"If no label applies, mark the '{NONE_COL}' column (1, x or yes). A row without "
            "any mark counts as NOT reviewed and is skipped, so 'none apply' must be marked."
        )
    else:
        lines.append(
            "A row without any mark counts as NOT reviewed and is skipped: you can stop at any "
            "row and import what you did."
        )
    if purpose == "adjudicate":
        lines.append(
            "Adjudication: the 'answer: NAME' columns show each reviewer's answer; your marks "
            "settle the case. Import with 'allegations import FILE --store STORE --reviewer "
            "YOUR_NAME --adjudicate'."
        )
    else:
        lines.append(
            "When done, import it with 'allegations import FILE --store STORE --reviewer "
            "YOUR_NAME'. Importing again adds nothing twice; changed marks are recorded as "
            "your new answer."
        )
    lines += [
        f"The '{NOTES_COL}' column is for your team; it is not imported.",
        "Do not change the ids, add label columns, rename the headers or copy rows: such a "
        "sheet is refused (nothing is imported) with the row to fix.",
        "",
        "Labels: " + "; ".join(labels),
    ]
    return lines


def _cell_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return str(neutralise_formula(value[:EXCEL_MAX_CELL]))


def write_sheet(
    store: ReviewStore,
    cases: Sequence[Case],
    path: str | Path,
    *,
    strategy: str,
    model_id: str,
    single_label: bool = False,
    allow_none: bool = True,
    answers: dict[str, list[Decision]] | None = None,
) -> dict[str, Any]:
    """Write ``cases`` as a review sheet and record its rows in ``store``.

    Parameters
    ----------
    store : ReviewStore
        Opened for writing (with its labels).
    cases : sequence of Case
        The queue, in order.
    path : str or Path
        ``.xlsx`` (formatted, with instructions) or ``.csv``.
    strategy : str
        The strategy of the queue; imported answers are recorded under it (an audit
        sheet's answers count in ``estimate``).
    model_id : str
    single_label, allow_none : bool
        The label design: one label per case, and whether "none apply" is an answer.
    answers : dict, optional
        For an adjudication sheet: the disputed decisions per text hash, shown as
        ``answer: NAME`` columns.

    Returns
    -------
    dict
        ``rows``, ``sheet_id``, ``path``.

    Raises
    ------
    OutputError
        If the extension is not .xlsx or .csv, or the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise OutputError(
            f"Cannot write the review sheet {path.name}: a review sheet is .xlsx or .csv; "
            "choose such a name."
        )
    labels = store.labels
    clash = [x for x in labels if label_key(x) in _FIXED or x.startswith(ANSWER_PREFIX)]
    if clash:
        raise OutputError(
            f"Label(s) {', '.join(clash)} have the name of a fixed sheet column; export with "
            "'allegations export --format prodigy' instead."
        )
    purpose = "adjudicate" if answers is not None else "review"
    reviewers: list[str] = []
    for ds in (answers or {}).values():
        for d in ds:
            if d.reviewer not in reviewers:
                reviewers.append(d.reviewer)
    header = ["id", "text", *[ANSWER_PREFIX + r for r in reviewers], *labels]
    if allow_none:
        header.append(NONE_COL)
    header.append(NOTES_COL)
    rows: list[list[Any]] = []
    for case in cases:
        given = {d.reviewer: d for d in (answers or {}).get(case.text_hash, [])}
        shown = [
            "; ".join(given[r].labels) or "(none apply)" if r in given else "" for r in reviewers
        ]
        rows.append([case.case_id, case.text, *shown] + [""] * (len(header) - 2 - len(shown)))
    if suffix == ".xlsx":
        check_excel_rows(len(rows), path)
    sheet_id = uuid.uuid4().hex
    if suffix == ".csv":
        write_table(pd.DataFrame(rows, columns=header, dtype=object), path)
    else:
        _write_xlsx(
            path, header, rows, sheet_id,
            _instructions(labels, single_label=single_label, allow_none=allow_none,
                          purpose=purpose),
            n_fixed=2 + len(reviewers),
        )  # fmt: skip
    store.save_sheet(
        sheet_id,
        purpose=purpose,
        strategy=strategy,
        design=("exclusive+none" if allow_none else "exclusive") if single_label else "multi-label",
        rows=[
            SheetRow(i, c.case_id, c.text_hash, dict(c.scores), tuple(c.predicted), model_id)
            for i, c in enumerate(cases, start=2)
        ],
    )
    return {"rows": len(rows), "sheet_id": sheet_id, "path": str(path), "purpose": purpose}


def _write_xlsx(
    path: Path,
    header: list[str],
    rows: list[list[Any]],
    sheet_id: str,
    instructions: list[str],
    *,
    n_fixed: int,
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "review"
    sheet.append([_cell_text(h) for h in header])
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top", horizontal="center")
    for row in rows:
        sheet.append([_cell_text(str(v)) if isinstance(v, str) else v for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    sheet.freeze_panes = "C2"  # header and the id/text columns stay in view
    for j, name in enumerate(header, start=1):
        letter = get_column_letter(j)
        if name == "text":
            width = 80.0
        elif name == NOTES_COL:
            width = 30.0
        elif j <= n_fixed:  # id and the answers of an adjudication
            longest = max([len(name)] + [len(str(r[j - 1])) for r in rows[:500]])
            width = float(min(max(longest, 8) + 2, 40))
        else:
            width = float(min(max(len(name), 6) + 2, 24))
        sheet.column_dimensions[letter].width = width
        for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.alignment = wrap if (name == "text" or j <= n_fixed) else top
    help_sheet = book.create_sheet("instructions")
    help_sheet.column_dimensions["A"].width = 100
    for line in instructions:
        help_sheet.append([line])
        help_sheet.cell(row=help_sheet.max_row, column=1).alignment = Alignment(wrap_text=True)
    help_sheet["A1"].font = Font(bold=True)
    help_sheet.append([])
    help_sheet.append([SHEET_ID_LABEL, sheet_id])
    try:
        with atomic_write(path, "wb") as fh:
            book.save(fh)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"Cannot write {path} ({exc.strerror or exc}).") from None
