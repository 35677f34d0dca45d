"""Review sheets: export, fill in with openpyxl, import back; every bad sheet imports nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from allegations.cli import app
from allegations.errors import InputError
from allegations.review._answers import disputes
from allegations.review._cases import Case
from allegations.review._estimate import estimate_store
from allegations.review._opening import open_review
from allegations.review._sheet_import import import_sheet
from allegations.review._sheets import NONE_COL, write_sheet
from allegations.review._store import ReviewStore, text_hash
from allegations.tables._options import TableOptions

from ..conftest import make_corpus, run_cli

runner = CliRunner()
LABELS = ["money", "query", "threat"]
SECRET = "Quokka-Lantern-5521"  # in every narrative: never in an error


def case(i: int) -> Case:
    text = f"=Officer {SECRET} threatened a neighbour, case {i}." if i == 0 else (
        f"Officer {SECRET} asked for money, case {i}."
    )  # fmt: skip
    return Case(
        case_id=f"C{i}", text=text, text_hash=text_hash(text),
        scores={"money": 0.6, "query": 0.2, "threat": 0.3}, predicted=["money"], confidence=0.2,
    )  # fmt: skip


def export(tmp_path: Path, name: str = "sheet.xlsx", *, n: int = 5, store: str = "r.db",
           design: str = "multi-label") -> Path:  # fmt: skip
    path = tmp_path / name
    with ReviewStore(tmp_path / store, labels=LABELS) as opened:
        write_sheet(
            opened, [case(i) for i in range(n)], path, strategy="audit", model_id="m1",
            single_label=design == "exclusive", allow_none=True,
        )  # fmt: skip
    return path


def fill(path: Path, marks: dict[tuple[int, str], object], out: Path | None = None) -> Path:
    """Type values into an exported XLSX as a reviewer would: (sheet row, header) -> value."""
    book = load_workbook(path)
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    for (row, column), value in marks.items():
        sheet.cell(row=row, column=header.index(column) + 1).value = value
    book.save(out or path)
    return out or path


def imported(tmp_path: Path, store: str = "r.db") -> int:
    with ReviewStore(tmp_path / store, create=False) as opened:
        return len(opened.decisions())


def test_exported_sheet_is_formatted_and_neutralised(tmp_path: Path):
    path = export(tmp_path)
    book = load_workbook(path)
    assert book.sheetnames == ["review", "instructions"]
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    assert header == ["id", "text", *LABELS, NONE_COL, "notes"]
    assert sheet.freeze_panes == "C2"
    assert sheet.column_dimensions["B"].width == 80 and sheet["B2"].alignment.wrap_text
    assert sheet["B2"].value.startswith("'=Officer")  # a formula is shown as text
    assert all(sheet.cell(row=r, column=3).value is None for r in range(2, 7))  # empty labels
    instructions = " ".join(str(r[0]) for r in book["instructions"].iter_rows(values_only=True))
    assert "1, x, yes or y" in instructions and NONE_COL in instructions
    assert "NOT reviewed" in instructions


def test_round_trip_through_the_cli_and_reimport_doubles_nothing(tmp_path: Path):
    path = fill(
        export(tmp_path),
        {(2, "threat"): "x", (3, NONE_COL): "yes", (4, "money"): 1, (4, "query"): "Y",
         (5, "notes"): "ask Sam", (5, "money"): "0"},
    )  # fmt: skip
    # Row 5 has only a "no" and a note: unclear, refused.
    result = runner.invoke(app, ["import", str(path), "--store", str(tmp_path / "r.db"),
                                 "--reviewer", "ana"])  # fmt: skip
    assert result.exit_code == 1 and "Row 5 of sheet.xlsx has only 'no' marks" in result.output
    assert imported(tmp_path) == 0
    fill(path, {(5, "money"): None})
    args = ["import", str(path), "--store", str(tmp_path / "r.db"), "--reviewer", "ana"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Imported 3 answer(s)" in result.output and "2 row(s) without a mark" in result.output
    with ReviewStore(tmp_path / "r.db", create=False) as opened:
        got = {d.case_id: d for d in opened.decisions()}
    assert {k: d.labels for k, d in got.items()} == {
        "C0": ("threat",), "C1": (), "C2": ("money", "query"),
    }  # fmt: skip
    assert {(d.reviewer, d.strategy, d.model_id, d.role) for d in got.values()} == {
        ("ana", "audit", "m1", "reviewer")
    }
    assert got["C0"].predicted == {"money": 0.6, "query": 0.2, "threat": 0.3}
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "Imported 0 answer(s)" in again.output
    assert "3 already there" in again.output and imported(tmp_path) == 3
    # A changed mark is the reviewer's new answer: one more decision, the rest untouched.
    fill(path, {(2, "threat"): None, (2, "query"): "x"})
    assert import_sheet(path, tmp_path / "r.db", reviewer="ana")["imported"] == 1


def test_csv_sheet_round_trip(tmp_path: Path):
    path = export(tmp_path, "sheet.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["id", "text", *LABELS, NONE_COL, "notes"]
    assert rows[1][1].startswith("'=Officer")
    rows[1][4] = "yes"
    rows[2][5] = "x"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    summary = import_sheet(path, tmp_path / "r.db", reviewer="ben")
    assert (summary["imported"], summary["skipped"]) == (2, 3)


def _changed_id(path: Path, tmp_path: Path) -> Path:
    return fill(path, {(3, "id"): "C99", (3, "money"): "x"})


def _unknown_label(path: Path, tmp_path: Path) -> Path:
    return fill(path, {(1, "query"): "qurey", (2, "money"): "x"})


def _typo(path: Path, tmp_path: Path) -> Path:
    return fill(path, {(2, "money"): "x", (4, "threat"): "yse"})


def _duplicated(path: Path, tmp_path: Path) -> Path:
    book = load_workbook(path)
    sheet = book["review"]
    sheet.append([c.value for c in sheet[3]])
    sheet.cell(row=3, column=3, value="x")
    book.save(path)
    return path


def _other_store(path: Path, tmp_path: Path) -> Path:
    other = export(tmp_path, "other.xlsx", store="other.db")
    return fill(other, {(2, "money"): "x"})


def _two_labels_single(path: Path, tmp_path: Path) -> Path:
    single = export(tmp_path, "single.xlsx", design="exclusive")
    return fill(single, {(2, "money"): "x", (6, "money"): "x", (6, "threat"): "1"})


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_changed_id, "Row 3 of sheet.xlsx: its id is not one of the cases exported"),
        (_unknown_label, "Column D ('qurey') of sheet.xlsx is not a label of the store"),
        (_typo, "Row 4 of sheet.xlsx, column E (threat), holds a mark that is neither yes nor no"),
        (_duplicated, "Row 7 of sheet.xlsx repeats the case of row 3"),
        (_other_store, "other.xlsx was exported from another review store"),
        (_two_labels_single, "Row 6 of single.xlsx marks 2 labels, but this model gives exactly"),
    ],
)
def test_bad_sheets_import_nothing(tmp_path: Path, spoil, message: str):
    path = spoil(export(tmp_path), tmp_path)
    result = runner.invoke(app, ["import", str(path), "--store", str(tmp_path / "r.db"),
                                 "--reviewer", "ana"])  # fmt: skip
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    assert out.startswith("Error: ") and message in out, out
    assert SECRET not in result.output and "yse" not in result.output.replace("'yse'", "")
    assert "Traceback" not in result.output
    assert imported(tmp_path) == 0


def test_sheet_from_another_store_as_csv_and_usage_errors(tmp_path: Path):
    export(tmp_path, "mine.csv")
    with ReviewStore(tmp_path / "other.db", labels=LABELS) as other:
        write_sheet(other, [case(7)], tmp_path / "theirs.csv", strategy="audit", model_id="m")
    with open(tmp_path / "theirs.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][2] = "x"
    with open(tmp_path / "theirs.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputError, match="Row 2 of theirs.csv: its id is not one of the cases"):
        import_sheet(tmp_path / "theirs.csv", tmp_path / "r.db", reviewer="ana")
    with pytest.raises(InputError, match="Pass `reviewer` NAME"):
        import_sheet(tmp_path / "mine.csv", tmp_path / "r.db", reviewer=None)
    args = ["import", str(tmp_path / "mine.csv"), "--store", str(tmp_path / "r.db")]
    result = runner.invoke(app, [*args, "--reviewer", "a", "--model", "m"])
    assert result.exit_code == 2 and "--model does not apply" in result.output


@pytest.mark.slow
def test_review_export_sheet_draws_the_audit_then_estimate(tmp_path: Path, model_dir: Path):
    data = tmp_path / "release.csv"
    make_corpus(60, seed=3).to_csv(data, index=False)
    store = tmp_path / "audit.db"
    result = runner.invoke(
        app, ["review", str(data), "--model", str(model_dir), "--store", str(store),
              "--id-col", "id", "--strategy", "audit", "--limit", "10",
              "--export-sheet", str(tmp_path / "audit.xlsx")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 10 case(s)" in result.output
    with ReviewStore(store, create=False) as opened:
        design = opened.audit_design()
    assert design is not None and len(design.sample) == 10
    sheet = load_workbook(tmp_path / "audit.xlsx")["review"]
    ids = [sheet.cell(row=r, column=1).value for r in range(2, 12)]
    assert ids == [design.case_ids[p] for p in design.sample]  # the same stratified draw
    fill(tmp_path / "audit.xlsx", {(r, "threat"): "x" for r in range(2, 12)})
    assert import_sheet(tmp_path / "audit.xlsx", store, reviewer="ana")["imported"] == 10
    report = estimate_store(store)
    assert report["n_audited"] == 10 and report["reviewers"] == ["ana"]


@pytest.mark.slow
def test_adjudicate_from_the_cli_with_a_sheet(tmp_path: Path, model_dir: Path):
    data = tmp_path / "release.csv"
    make_corpus(30, seed=5).to_csv(data, index=False)
    store = tmp_path / "r.db"
    args = ["review", str(data), "--model", str(model_dir), "--store", str(store), "--id-col", "id"]
    result = runner.invoke(app, [*args, "--adjudicate", "--export-sheet", str(tmp_path / "d.csv")])
    assert result.exit_code == 1 and "nothing to adjudicate" in result.output
    for name, key in (("ana", "y"), ("bo", "n")):  # ana accepts the model's call, bo says none
        session = open_review(data, model_dir, store, id_col="id", reviewer=name, limit=4)
        for _ in range(4):
            session.press(key)
        session.store.close()
    with ReviewStore(store, create=False) as opened:
        n_disputed = len(disputes(opened))
    assert n_disputed >= 1
    result = runner.invoke(app, [*args, "--adjudicate", "--export-sheet", str(tmp_path / "d.xlsx")])
    assert result.exit_code == 0, result.output
    assert (
        f"Wrote {n_disputed} disputed case(s)" in result.output and "--adjudicate" in result.output
    )
    sheet = load_workbook(tmp_path / "d.xlsx")["review"]
    header = [c.value for c in sheet[1]]
    assert header[2:4] == ["answer: ana", "answer: bo"]
    fill(tmp_path / "d.xlsx", {(r, NONE_COL): "x" for r in range(2, 2 + n_disputed)})
    done = run_cli("import", tmp_path / "d.xlsx", "--store", store, "--reviewer", "cy",
                   "--adjudicate")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Imported {n_disputed} answer(s)" in done.stdout
    with ReviewStore(store, create=False) as opened:
        assert disputes(opened) == {}
        roles = {d.role for d in opened.decisions() if d.reviewer == "cy"}
    assert roles == {"adjudicator"}


def test_label_design_of_a_model_and_sheet_extension(tmp_path: Path):
    from types import SimpleNamespace

    from allegations.errors import OutputError
    from allegations.review._opening import label_design

    single = SimpleNamespace(exclusive=True, card={"n_cases_without_label": 0})
    outside = SimpleNamespace(exclusive=True, card={"n_cases_without_label": 3})
    multi = SimpleNamespace(exclusive=False, card={})
    assert label_design(single) == (True, False)  # type: ignore[arg-type]
    assert label_design(outside) == (True, True)  # type: ignore[arg-type]
    assert label_design(multi) == (False, True)  # type: ignore[arg-type]
    with pytest.raises(OutputError, match="a review sheet is .xlsx or .csv"):
        export(tmp_path, "sheet.txt")
    # A single-label sheet without cases outside the codebook has no none_apply column.
    with ReviewStore(tmp_path / "s.db", labels=LABELS) as opened:
        write_sheet(opened, [case(1)], tmp_path / "s.xlsx", strategy="audit", model_id="m",
                    single_label=True, allow_none=False)  # fmt: skip
    header = [c.value for c in load_workbook(tmp_path / "s.xlsx")["review"][1]]
    assert header == ["id", "text", *LABELS, "notes"]


def _filled_csv(tmp_path: Path) -> tuple[Path, list[list[str]]]:
    """A CSV sheet filled in: two reviewed rows; the store copied before any import."""
    path = export(tmp_path, "sheet.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][4] = "yes"
    rows[2][5] = "x"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    (tmp_path / "resaved.db").write_bytes((tmp_path / "r.db").read_bytes())
    return path, rows


def _decisions(store: Path) -> set[tuple]:
    with ReviewStore(store, create=False) as opened:
        return {
            (d.case_id, d.labels, d.reviewer, d.strategy, d.model_id, tuple(d.predicted.items()))
            for d in opened.decisions()
        }


def test_csv_sheet_resaved_with_semicolons_under_a_title_imports_with_the_options(
    tmp_path: Path,
):
    """A spreadsheet in a semicolon locale saves the filled sheet again, with a title row:
    --sep and --header-row read it, and it stores what the original sheet stores."""
    path, rows = _filled_csv(tmp_path)
    resaved = tmp_path / "resaved.csv"
    with open(resaved, "w", encoding="utf-8", newline="") as fh:
        fh.write("Audit of March, filled by Ben\n")
        csv.writer(fh, delimiter=";").writerows(rows)
    args = ["--reviewer", "ben", "--quiet"]
    result = runner.invoke(app, ["import", str(path), "--store", str(tmp_path / "r.db"), *args])
    assert result.exit_code == 0, result.output
    store = tmp_path / "resaved.db"
    # Without the options the title is taken for the header: refused, pointing at the fix.
    result = runner.invoke(app, ["import", str(resaved), "--store", str(store), *args])
    out = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "resaved.csv has no 'id' column in its header (row 1)" in out
    assert "'id' is on line 2 of the file: pass --header-row 2." in out
    assert SECRET not in result.output and imported(tmp_path, "resaved.db") == 0
    result = runner.invoke(
        app, ["import", str(resaved), "--store", str(store), "--header-row", "2", "--sep", ","]
        + args,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "It reads as one column split by comma: pass --sep" in " ".join(result.output.split())
    for layout in (["--sep", ";", "--header-row", "2"], ["--skip-rows", "1"]):
        result = runner.invoke(app, ["import", str(resaved), "--store", str(store), *layout]
                               + args)  # fmt: skip
        assert result.exit_code == 0, result.output
    assert _decisions(store) == _decisions(tmp_path / "r.db")
    assert len(_decisions(store)) == 2


def test_row_numbers_of_a_sheet_under_a_title_are_the_file_rows(tmp_path: Path):
    path = fill(export(tmp_path), {(3, "money"): "maybe"})
    book = load_workbook(path)
    book["review"].insert_rows(1, amount=2)
    book["review"]["A1"] = "Audit of March"
    book.save(path)
    result = runner.invoke(app, ["import", str(path), "--store", str(tmp_path / "r.db"),
                                 "--reviewer", "ana", "--header-row", "3"])  # fmt: skip
    out = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "Row 5 of sheet.xlsx, column C (money), holds a mark that is neither" in out
    book = load_workbook(path)
    book["review"]["C5"] = "x"  # money, on row 5 below the title rows
    book.save(path)
    with pytest.raises(InputError, match=r"row 1\)"):
        import_sheet(path, tmp_path / "r.db", reviewer="ana")
    summary = import_sheet(path, tmp_path / "r.db", reviewer="ana",
                           table=TableOptions(skip_rows=2))  # fmt: skip
    assert summary["imported"] == 1


def test_layout_options_that_cannot_apply_are_refused(tmp_path: Path):
    """--sep on an XLSX sheet is refused as predict refuses it; a layout option with a
    Prodigy or Label Studio file is a usage error (they are JSON)."""
    path = fill(export(tmp_path), {(2, "money"): "x"})
    store = ["--store", str(tmp_path / "r.db"), "--reviewer", "ana"]
    result = runner.invoke(app, ["import", str(path), *store, "--sep", ";"])
    assert result.exit_code == 1
    assert "--sep applies to .csv and .tsv files only, not to sheet.xlsx" in result.output
    with pytest.raises(InputError, match="`no_header` does not apply to sheet.xlsx"):
        import_sheet(path, tmp_path / "r.db", reviewer="a", table=TableOptions(no_header=True))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("", encoding="utf-8")
    for layout in (["--sep", ";"], ["--header-row", "2"], ["--skip-rows", "1"],
                   ["--encoding", "cp1252"]):  # fmt: skip
        result = runner.invoke(app, ["import", str(tasks), *store, *layout])
        assert result.exit_code == 2, result.output
        assert "apply to review sheets (.xlsx or .csv) only, not to tasks.jsonl" in " ".join(
            result.output.split()
        )
    assert imported(tmp_path) == 0


def test_csv_sheet_saved_by_excel_in_windows_1252_imports_with_a_warning(tmp_path: Path):
    """Excel on Windows saves "CSV (Comma delimited)" in Windows-1252: it reads as such,
    with a warning naming --encoding, and stores what the UTF-8 sheet stores."""
    path, rows = _filled_csv(tmp_path)
    rows[1][-1] = "vérifié"  # a note with accents: not UTF-8 once saved in cp1252
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    resaved = tmp_path / "excel.csv"
    with open(resaved, "w", encoding="cp1252", newline="") as fh:
        csv.writer(fh).writerows(rows)
    args = ["--reviewer", "ben"]
    result = runner.invoke(app, ["import", str(path), "--store", str(tmp_path / "r.db"), *args])
    assert result.exit_code == 0, result.output
    store = tmp_path / "resaved.db"
    result = runner.invoke(app, ["import", str(resaved), "--store", str(store), *args])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "cp1252" in flat and "--encoding" in flat and SECRET not in result.output
    assert _decisions(store) == _decisions(tmp_path / "r.db") and len(_decisions(store)) == 2
    utf8 = runner.invoke(
        app, ["import", str(resaved), "--store", str(store), "--encoding", "utf-8", *args]
    )
    assert utf8.exit_code == 1 and "is not valid utf-8 text" in " ".join(utf8.output.split())
