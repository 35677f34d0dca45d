"""Property tests (hypothesis) for table reading and writing and for label parsing."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from allegations.errors import InputError
from allegations.tables import ReadReport, load_table, neutralise_formula, write_table
from allegations.tables._encoding import _UTF8_MULTIBYTE
from allegations.training._labels import parse_label_string

# Any text a narrative can hold: every printable character, quotes, separators, CR/LF,
# tabs, leading formula characters; surrogates cannot be encoded at all.
_alphabet = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
narrative = st.one_of(
    st.text(_alphabet, max_size=60),
    st.builds(
        lambda a, b, c: a + b + c,
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", '"', ",", "\n", " ", "'"]),
        st.text(_alphabet, max_size=30),
        st.sampled_from(["", "\r\n", "\n", '""', ",", "\t", ";"]),
    ),
)
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_FIXTURE = [HealthCheck.function_scoped_fixture]


def _expected(value: str, ext: str) -> str:
    if ext in (".jsonl", ".parquet"):
        return value
    value = neutralise_formula(value)
    if ext == ".xlsx":  # XLSX cannot hold control characters (CR is kept, as &#13;)
        value = _XLSX_ILLEGAL.sub("", value)
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE)
@given(
    texts=st.lists(narrative, min_size=1, max_size=6),
    ext=st.sampled_from([".csv", ".tsv", ".jsonl", ".parquet"]),
)
def test_any_text_round_trips_through_every_format(tmp_path: Path, texts: list[str], ext: str):
    """Write then read gives the text back (neutralised in spreadsheet-bound formats)."""
    path = tmp_path / f"h{ext}"
    ids = [f"{i:04d}" for i in range(len(texts))]
    write_table(pd.DataFrame({"id": ids, "text": texts}), path)
    back = load_table(path)
    assert back["id"].tolist() == ids
    assert back["text"].tolist() == [_expected(t, ext) for t in texts]


@settings(max_examples=15, deadline=None, suppress_health_check=_FIXTURE)
@given(texts=st.lists(narrative, min_size=1, max_size=4))
def test_any_text_round_trips_through_xlsx(tmp_path: Path, texts: list[str]):
    path = tmp_path / "h.xlsx"
    ids = [f"{i:04d}" for i in range(len(texts))]  # a row of blank cells is no row in XLSX
    write_table(pd.DataFrame({"id": ids, "text": texts}), path)
    back = load_table(path)
    assert back["id"].tolist() == ids
    assert back["text"].tolist() == [_expected(t, ".xlsx") for t in texts]


@settings(max_examples=60, deadline=None, suppress_health_check=_FIXTURE)
@given(
    texts=st.lists(st.text(_alphabet, max_size=40), min_size=1, max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    sep=st.sampled_from([",", "\t"]),
)
@example(texts=[","] * 5, encoding="utf-8", sep="\t")  # once read as a comma file
def test_decoding_is_exact_and_never_replaces(
    tmp_path: Path, texts: list[str], encoding: str, sep: str
):
    """Text saved in UTF-8 (BOM or not), UTF-16 with BOM or cp1252 reads back exactly,
    with no U+FFFD; cp1252 only ever with a warning."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    # Two columns: a one-column file whose every cell holds the same number of the other
    # separator is ambiguous by nature (detection is tested in tests/tables/).
    writer.writerow(["id", "text"])
    writer.writerows([[str(i), t] for i, t in enumerate(texts)])
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    if encoding == "cp1252":
        # cp1252 text that happens to form UTF-8 sequences ("Ã©") is ambiguous by nature;
        # the reader reads it as UTF-8 or refuses it as mixed, tested elsewhere.
        assume(_UTF8_MULTIBYTE.search(data) is None)
    path = tmp_path / ("t.csv" if sep == "," else "t.tsv")
    path.write_bytes(data)
    report = ReadReport()
    back = load_table(path, report=report)["text"].tolist()
    # blank records are skipped (like pandas' skip_blank_lines)
    assert back == [t for t in texts if t != ""] or back == texts
    assert not any("\ufffd" in t for t in back if not any("\ufffd" in x for x in texts))
    if report.encoding == "cp1252":
        assert report.encoding_warned


@settings(max_examples=150, deadline=None, suppress_health_check=_FIXTURE)
@given(
    data=st.binary(max_size=300),
    ext=st.sampled_from([".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"]),
    policy=st.sampled_from(["error", "skip"]),
)
def test_any_bytes_give_a_table_or_an_input_error(
    tmp_path: Path, data: bytes, ext: str, policy: str
):
    """Whatever the file holds, reading either works or raises InputError: never
    another exception (which the CLI would report as an internal error)."""
    path = tmp_path / f"f{ext}"
    path.write_bytes(data)
    try:
        df = load_table(path, on_bad_rows=policy)
    except InputError:
        return
    assert all(isinstance(c, str) for c in df.columns)
    assert all(isinstance(v, str) for col in df.columns for v in df[col].tolist())


@settings(max_examples=100, deadline=None, suppress_health_check=_FIXTURE)
@given(
    rows=st.lists(
        st.lists(st.text(st.sampled_from('ab,"\n\r\t '), max_size=6), min_size=1, max_size=4),
        min_size=1,
        max_size=8,
    ),
    policy=st.sampled_from(["error", "skip"]),
)
def test_delimited_junk_counts_add_up(tmp_path: Path, rows: list[list[str]], policy: str):
    """Kept rows plus skipped rows always equal the records read."""
    path = tmp_path / "j.csv"
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8", newline="")
    report = ReadReport()
    try:
        df = load_table(path, on_bad_rows=policy, report=report)
    except InputError:
        return
    assert len(df) + len(report.skipped) == report.n_records
    assert report.kept_rows() == [
        r for r in range(1, report.n_records + 1) if r not in report.skipped
    ]


# -- labels ------------------------------------------------------------------------------

SEPARATORS = [";", ",", "|", "/", " / ", "; "]
label_text = st.text(
    st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters=";,|/"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip())


@given(
    labels=st.lists(label_text, min_size=1, max_size=6),
    sep=st.sampled_from(SEPARATORS),
    data=st.data(),
)
def test_any_label_string_with_any_separator_parses_to_the_same_set(
    labels: list[str], sep: str, data
):
    pads = [data.draw(st.sampled_from(["", " ", "  ", "\t"])) for _ in labels]
    joined = sep.join(f"{p}{label}{p}" for p, label in zip(pads, labels, strict=True))
    joined += data.draw(st.sampled_from(["", sep, f" {sep} "]))
    parsed = parse_label_string(joined, sep.strip() or sep)
    expected = {" ".join(label.split()).casefold() for label in labels}
    assert {label.casefold() for label in parsed} == expected
    assert len(parsed) == len(expected)
    assert all(label == label.strip() and "  " not in label for label in parsed)


@pytest.mark.parametrize("sep", SEPARATORS)
def test_label_order_and_duplicates(sep: str):
    key = sep.strip() or sep
    assert parse_label_string(f"b{sep}a{sep}B{sep} a ", key) == ["b", "a"]
