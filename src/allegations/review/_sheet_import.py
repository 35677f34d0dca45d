"""Read a filled review sheet back into the store, all or nothing.

The sheet is one written by :func:`allegations.review._sheets.write_sheet`; the store
remembers which case each row holds, so :func:`import_sheet` records the model's view of
the case with the reviewer's answer, and refuses a sheet whose rows do not belong to the
store. The reading rule, stated on the instructions sheet:

* a label cell is yes when it holds 1, x, yes, y, true or t (the truthy rule of
  ``--label-cols``), no when empty or 0, no, n, false or f; anything else is refused;
* a row with at least one yes is reviewed: its yes labels are the answer;
* a row with ``none_apply`` marked yes is reviewed: no label applies;
* a row with no yes at all is NOT reviewed and is left out (a blank row is not an
  answer); a row with only "no" marks and no ``none_apply`` is refused as unclear;
* for a single-label model a reviewed row carries exactly one yes (or ``none_apply`` when
  the training data had cases outside the codebook).

Any refused row stops the import before anything is written: one sheet, one transaction.
Messages name the sheet row and column, never a cell's content.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..tables import (
    FORMULA_START,
    SNIFF_CHARS,
    TableOptions,
    check_input,
    describe_sep,
    detect_encoding,
    detect_sep,
    locate_header,
)
from ..training import TRUTHY, label_key
from ._sheet_store import SheetRow
from ._sheets import ANSWER_PREFIX, NONE_COL, NOTES_COL, SHEET_ID_LABEL
from ._store import ReviewStore

__all__ = ["FALSY", "import_sheet"]

#: Cells that mean "no" (an empty cell means no too).
FALSY = frozenset({"0", "0.0", "false", "f", "no", "n"})


def _plain(value: Any) -> str:
    """A cell as text, without the apostrophe that neutralised a formula."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_START and text[1:2]:
        text = text[1:]
    return text


def _read_xlsx(path: Path, table: TableOptions) -> tuple[list[list[str]], str | None]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InputError(
            f"{path.name} cannot be read as an XLSX workbook ({type(exc).__name__}); save it "
            "from your spreadsheet program as .xlsx and try again."
        ) from None
    try:
        names = book.sheetnames
        if table.sheet is not None and table.sheet not in names:
            raise InputError(
                f"{path.name} has no sheet '{table.sheet}'; its sheets are: "
                f"{', '.join(names)}. Pass one of them as `sheet`."
            )
        name = table.sheet or ("review" if "review" in names else names[0])
        rows = [[_plain(v) for v in r] for r in book[name].iter_rows(values_only=True)]
        rows = rows[table.skip_rows :]
        sheet_id = None
        if "instructions" in names:
            for r in book["instructions"].iter_rows(values_only=True):
                if r and r[0] == SHEET_ID_LABEL and len(r) > 1 and r[1]:
                    sheet_id = str(r[1]).strip()
    finally:
        book.close()
    return rows, sheet_id


def _read_csv(path: Path, table: TableOptions) -> tuple[list[list[str]], str]:
    """The records below the skipped lines, and the separator (given, else detected)."""
    # UTF-8 (BOM or not), else Windows-1252 with a warning, as every reader does: a sheet
    # saved as "CSV (Comma delimited)" by Excel on Windows is Windows-1252. The whole file
    # is checked to decode here, so reading it below cannot fail on its bytes.
    encoding, _ = detect_encoding(path, table.encoding)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            for _ in range(table.skip_rows):
                fh.readline()
            start = fh.tell()
            sep = table.sep or detect_sep(fh.read(SNIFF_CHARS), ",")
            fh.seek(start)
            return [[_plain(v) for v in r] for r in csv.reader(fh, delimiter=sep)], sep
    except csv.Error as exc:
        raise InputError(f"{path.name} is not a readable CSV ({exc}).") from None


def _column_name(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def _mark(value: str, where: str) -> bool | None:
    """True for a yes, False for an explicit no, None for an empty cell."""
    folded = value.strip().casefold()
    if not folded:
        return None
    if folded in TRUTHY:
        return True
    if folded in FALSY:
        return False
    raise InputError(
        f"{where} holds a mark that is neither yes nor no; type 1, x, yes or y for yes, "
        "leave it empty (or 0, no) for no, then import again. Nothing was imported."
    )


def import_sheet(
    path: str | Path,
    store_path: str | Path,
    *,
    reviewer: str | None,
    adjudicate: bool = False,
    table: TableOptions | None = None,
) -> dict[str, Any]:
    """Record a filled review sheet as ``reviewer``'s decisions, all or nothing.

    Parameters
    ----------
    path : str or Path
        A sheet written by :func:`write_sheet` (``allegations review --export-sheet``).
    store_path : str or Path
        The store the sheet was exported from.
    reviewer : str
        Whose answers these are.
    adjudicate : bool
        The sheet is an adjudication sheet (``review --adjudicate --export-sheet``); its
        answers settle the disputed cases.
    table : TableOptions, optional
        How the sheet is laid out when a spreadsheet saved it again: ``skip_rows`` (a
        title above the header; XLSX and CSV), ``sep`` (CSV only; default: detected
        among comma, semicolon, tab and pipe), ``encoding`` (CSV), ``sheet`` (XLSX;
        default: the sheet named review, else the first). Its columns are not used: a
        sheet's header names them.

    Returns
    -------
    dict
        ``imported``, ``unchanged`` (the same answer is already in the store),
        ``skipped`` (rows with no mark: not reviewed), ``format`` ("sheet").

    Raises
    ------
    InputError
        Naming the sheet row (and column) to fix, for: an id that is not a case of the
        sheet, an unknown or missing label column, a mark that is neither yes nor no, a
        repeated case, two labels for a single-label model, a sheet from another store; a
        layout option that does not apply (``sep`` to XLSX, ``no_header``).
    StoreError
    """
    path = Path(path)
    table = table or TableOptions()
    if not path.is_file():
        raise InputError(f"File {path} not found; check the path.")
    check_input(path, table)
    if table.no_header:
        raise InputError(
            f"`no_header` does not apply to {path.name}: a review sheet's header names its "
            "id and label columns. Pass `header_row` N if a title sits above it."
        )
    reviewer = " ".join(str(reviewer or "").split())
    if not reviewer:
        raise InputError(f"Whose answers are in {path.name}? Pass `reviewer` NAME.")
    if not Path(store_path).is_file():
        raise InputError(
            f"Review store {store_path} not found; import a sheet into the store it was "
            "exported from ('allegations review ... --store STORE --export-sheet FILE')."
        )
    sep = None
    if path.suffix.lower() == ".xlsx":
        rows, sheet_id = _read_xlsx(path, table)
    else:
        (rows, sep), sheet_id = _read_csv(path, table), None
    with ReviewStore(store_path, create=False) as reading:
        labels = reading.labels
    with ReviewStore(store_path, labels=labels) as store:
        exported = _exported_rows(store, path, sheet_id)
        decisions = _parse(path, rows, labels, exported, table=table, sep=sep)
        want_purpose = "adjudicate" if adjudicate else "review"
        purposes = {exported[cid][0]["purpose"] for cid, _, _ in decisions}
        if purposes and purposes != {want_purpose}:
            raise InputError(
                f"{path.name} is an adjudication sheet; import it with `adjudicate`."
                if "adjudicate" in purposes
                else f"{path.name} is a review sheet, not an adjudication sheet; import it "
                "without `adjudicate`."
            )
        role = "adjudicator" if adjudicate else "reviewer"
        standing = store.standing(reviewer)
        texts = store.texts(exported[cid][1].text_hash for cid, _, _ in decisions)
        items, unchanged = [], 0
        for cid, chosen, _row in decisions:
            head, srow = exported[cid]
            current = standing.get((reviewer, srow.text_hash))
            if (
                current is not None
                and set(current.labels) == set(chosen)
                and current.strategy == head["strategy"]
                and current.role == role
            ):
                unchanged += 1
                continue
            items.append(
                {
                    "case_id": srow.case_id,
                    "text": texts.get(srow.text_hash, ""),
                    "labels": chosen,
                    "predicted": srow.predicted,
                    "predicted_labels": srow.predicted_labels,
                    "model_id": srow.model_id,
                    "reviewer": reviewer,
                    "strategy": head["strategy"],
                    "thash": srow.text_hash,
                    "role": role,
                }
            )
        store.record_many(items)
    n_rows = sum(1 for r in rows[1:] if any(r))
    return {
        "imported": len(items),
        "unchanged": unchanged,
        "skipped": n_rows - len(decisions),
        "format": "sheet",
    }


def _exported_rows(
    store: ReviewStore, path: Path, sheet_id: str | None
) -> dict[str, tuple[dict[str, str], SheetRow]]:
    """The cases a sheet may hold, by id: those of its own export (XLSX carries its id),
    else of every sheet exported from this store, the latest export winning."""
    if sheet_id is not None:
        found = store.sheet(sheet_id)
        if found is None:
            raise InputError(
                f"{path.name} was exported from another review store (its sheet id is not in "
                f"{store.path}); import it into the `store_path` it was exported from."
            )
        head, by_id = found
        return {cid: (head, r) for cid, r in by_id.items()}
    out: dict[str, tuple[dict[str, str], SheetRow]] = {}
    for sid in store.sheet_ids():
        found = store.sheet(sid)
        if found is not None:
            head, by_id = found
            out.update({cid: (head, r) for cid, r in by_id.items()})
    if not out:
        raise InputError(
            f"No sheet was ever exported from {store.path}, so {path.name} cannot be one of "
            "its sheets; import it into the `store_path` it was exported from."
        )
    return out


def _parse(
    path: Path,
    rows: list[list[str]],
    labels: Sequence[str],
    exported: dict[str, tuple[dict[str, str], SheetRow]],
    *,
    table: TableOptions,
    sep: str | None,
) -> list[tuple[str, list[str], int]]:
    """Check every row; return (case id, labels, sheet row) of the reviewed rows.

    ``rows`` start at the header, on row ``table.skip_rows + 1`` of the file.
    """
    name = path.name
    if not rows or not any(rows[0]):
        raise InputError(f"{name} has no header row; import the sheet as it was exported.")
    header = rows[0]
    if not any(label_key(cell) == "id" for cell in header):
        raise InputError(
            f"{name} has no 'id' column in its header (row {table.header_row}); import the "
            f"sheet as it was exported.{_header_hint(path, table, header, sep)}"
        )
    known = {label_key(x): x for x in labels}
    label_at: dict[int, str] = {}
    id_at = none_at = None
    for j, cell in enumerate(header):
        key = label_key(cell)
        if key == "id":
            id_at = j
        elif key == NONE_COL:
            none_at = j
        elif key in known:
            if known[key] in label_at.values():
                raise InputError(
                    f"{name} has two columns for label '{known[key]}' (column "
                    f"{_column_name(j)}); delete one."
                )
            label_at[j] = known[key]
        elif key in ("text", NOTES_COL) or not key or cell.startswith(ANSWER_PREFIX):
            continue
        else:
            raise InputError(
                f"Column {_column_name(j)} ('{cell[:60]}') of {name} is not a label of the "
                f"store ({', '.join(labels)}); rename it to one of them or delete it. Nothing "
                "was imported."
            )
    if id_at is None:
        raise InputError(f"{name} has no 'id' column; import the sheet as it was exported.")
    missing = [x for x in labels if x not in label_at.values()]
    if missing:
        raise InputError(
            f"{name} lacks the column of label(s) {', '.join(missing)}; restore the columns "
            "as exported. Nothing was imported."
        )
    out: list[tuple[str, list[str], int]] = []
    seen: dict[str, int] = {}
    for r, row in enumerate(rows[1:], start=table.skip_rows + 2):
        if not any(row):
            continue  # a blank row
        cell = row[id_at] if id_at < len(row) else ""
        where = f"Row {r} of {name}"
        if not cell or cell not in exported:
            raise InputError(
                f"{where}: its id is not one of the cases exported in this sheet (a changed "
                "id, or a row from another store or audit); restore the id as exported or "
                "delete the row. Nothing was imported."
            )
        if cell in seen:
            raise InputError(
                f"{where} repeats the case of row {seen[cell]}; delete one of the two rows. "
                "Nothing was imported."
            )
        seen[cell] = r
        marks = {
            lab: _mark(
                row[j] if j < len(row) else "", f"{where}, column {_column_name(j)} ({lab}),"
            )
            for j, lab in label_at.items()
        }
        none = (
            _mark(row[none_at] if none_at < len(row) else "", f"{where}, column {NONE_COL},")
            if none_at is not None
            else None
        )
        chosen = [lab for lab in labels if marks[lab]]
        if none and chosen:
            raise InputError(
                f"{where} marks both {NONE_COL} and label(s) {', '.join(chosen)}; keep one. "
                "Nothing was imported."
            )
        if not chosen and not none:
            if any(v is False for v in marks.values()):
                hint = f"mark {NONE_COL}" if none_at is not None else "mark one label"
                raise InputError(
                    f"{where} has only 'no' marks: is that 'none apply' or not reviewed? "
                    f"{hint.capitalize()}, or clear the row to leave it unreviewed. Nothing "
                    "was imported."
                )
            continue  # no mark: not reviewed
        design = exported[cell][0]["design"]
        if none and design == "exclusive":
            raise InputError(
                f"{where} marks {NONE_COL}, but this model gives exactly one label per case "
                "(its training data had no case outside the codebook); mark one label. "
                "Nothing was imported."
            )
        if design.startswith("exclusive") and len(chosen) > 1:
            raise InputError(
                f"{where} marks {len(chosen)} labels, but this model gives exactly one label "
                "per case; keep one mark. Nothing was imported."
            )
        out.append((cell, chosen, r))
    return out


def _header_hint(path: Path, table: TableOptions, header: list[str], sep: str | None) -> str:
    """Where the header is, when a title sits above it; or that the separator is wrong."""
    line = locate_header(path, table, "id")
    if line is not None:
        unit = "row" if path.suffix.lower() == ".xlsx" else "line"
        return f" 'id' is on {unit} {line} of the file: pass `header_row` {line}."
    if sep is not None and len(header) == 1:
        return (
            f" It reads as one column split by {describe_sep(sep)}: pass `sep` with its "
            "separator (, ; | or tab)."
        )
    return ""
