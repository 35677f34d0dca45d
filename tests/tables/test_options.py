"""TableOptions and the separator detection."""

from __future__ import annotations

import pytest

from allegations.errors import InputError
from allegations.tables._options import TableOptions, detect_sep


def _lines(rows: list[list[str]], sep: str) -> str:
    return "".join(sep.join(row) + "\r\n" for row in rows)


ROWS = [["id", "date", "summary"]] + [
    [str(i), "2013-01-07", f'"Officer, on patrol; said {i} things"'] for i in range(30)
]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("default", [",", "\t"])
def test_detect_sep_finds_the_separator_whatever_the_extension(sep: str, default: str):
    # The narratives hold commas and semicolons inside quotes: only the real one splits
    # every record alike.
    assert detect_sep(_lines(ROWS, sep), default) == sep


def test_detect_sep_tolerates_a_title_line_above_the_header():
    text = "Complaints export, 2013-2018\r\n" + _lines(ROWS, ";")
    assert detect_sep(text, ",") == ";"


def test_detect_sep_keeps_the_default_when_nothing_decides():
    assert detect_sep("narrative\r\nOfficer arrived\r\n", ",") == ","
    assert detect_sep("", "\t") == "\t"


def test_detect_sep_ignores_a_record_cut_at_the_sample_end():
    text = _lines(ROWS, ";") * 600  # more than the 64 KB sample
    assert len(text) > 1 << 16
    assert detect_sep(text[: 1 << 16], ",") == ";"


def test_options_are_frozen_and_checked():
    opts = TableOptions(text_col="summary", sep="\\t", on_bad_rows="skip")
    assert opts.sep == "\t" and opts.header_row == 1
    with pytest.raises(AttributeError):
        opts.text_col = "x"  # type: ignore[misc]
    with pytest.raises(InputError, match="`sep` must be one character"):
        TableOptions(sep=";;")
    with pytest.raises(InputError, match="`on_bad_rows` must be one of"):
        TableOptions(on_bad_rows="ignore")  # type: ignore[arg-type]
    assert TableOptions(sep="semicolon").sep == ";"


def test_header_row_and_skip_rows_are_one_setting():
    assert TableOptions.from_layout(header_row=3).skip_rows == 2
    assert TableOptions.from_layout(skip_rows=2).header_row == 3
    assert TableOptions.from_layout(header_row=3, skip_rows=2).skip_rows == 2
    with pytest.raises(InputError, match="`header_row` 3 and `skip_rows` 1 disagree"):
        TableOptions.from_layout(header_row=3, skip_rows=1)
    assert TableOptions(no_header=True).header_row is None
    assert TableOptions(sep=";", skip_rows=1, no_header=True).layout() == {
        "sep": ";",
        "skip_rows": 1,
        "no_header": True,
    }
