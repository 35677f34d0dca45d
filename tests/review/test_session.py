"""The review session without a terminal: queue order, audit draw, keys, evidence, screens."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from allegations.cli._review_screen import build_screen
from allegations.errors import InputError, StoreError
from allegations.review._cases import (
    Case,
    allocate,
    draw_audit,
    evidence_spans,
    load_cases,
    order_cases,
    parse_evidence,
)
from allegations.review._opening import open_review
from allegations.review._session import AUDIT_LEGEND, LEGEND, ReviewSession
from allegations.review._store import ReviewStore, text_hash

from ..conftest import make_corpus

LABELS = ["money", "query", "threat"]


def make_case(i: int, text: str | None = None, conf: float = 0.5, **kw) -> Case:
    text = text if text is not None else f"Officer threatened a neighbour, case {i}."
    return Case(
        case_id=f"C{i}",
        text=text,
        text_hash=text_hash(text),
        scores=kw.get("scores", {"money": 0.1, "query": 0.2, "threat": 0.8}),
        predicted=kw.get("predicted", ["threat"]),
        confidence=conf,
        evidence=kw.get("evidence", {}),
    )


def session_for(tmp_path: Path, queue: list[Case], strategy="uncertain", labels=LABELS, **kw):
    store = ReviewStore(tmp_path / "r.db", labels=labels)
    return ReviewSession(
        store, queue, labels=labels, model_id="m", reviewer=kw.get("reviewer", "ana"),
        strategy=strategy,
    )  # fmt: skip


def render(session: ReviewSession) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=100, force_terminal=True, color_system="standard").print(
        build_screen(session)
    )
    return buffer.getvalue()


def plain(session: ReviewSession) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=100, force_terminal=False).print(build_screen(session))
    return buffer.getvalue()


def test_legend_is_exact():
    assert LEGEND == (
        "[y] accept  [n] none apply  [1-9] toggle label  [enter] save  [s] skip  [u] undo  "
        "[?] definitions  [q] quit"
    )


def test_parse_evidence_and_spans():
    cell = 'threat: "threatened" | threat: "sent threatening messages" | query: "ran a \\"check\\""'
    assert parse_evidence(cell) == {
        "threat": ["threatened", "sent threatening messages"],
        "query": ['ran a "check"'],
    }
    assert parse_evidence("") == {} and parse_evidence(None) == {} and parse_evidence("junk") == {}
    assert parse_evidence({"money": "cash"}) == {"money": ["cash"]}
    text = "He Threatened her; later he threatened again."
    assert evidence_spans(text, ["threatened"]) == [(3, 13), (28, 38)]
    assert evidence_spans(text, []) == [] and evidence_spans(text, ["absent"]) == []


def test_screen_highlights_evidence_and_shows_scores(tmp_path: Path):
    case = make_case(1, evidence={"threat": ["threatened"]})
    session = session_for(tmp_path, [case])
    screen = render(session)
    assert "\x1b[1;7mthreatened\x1b[0m" in screen  # bold reverse on the phrase only
    text = plain(session)
    assert "Model predicts: threat 0.80" in text and "Evidence is highlighted" in text
    assert "[x]  3 threat  0.80  model: yes" in text and "[ ]  1 money   0.10" in text
    assert "case 1 of 1 · id C1 · confidence 0.50" in text


def test_screen_without_evidence_has_no_highlight(tmp_path: Path):
    session = session_for(tmp_path, [make_case(1)])
    assert "\x1b[1;7m" not in render(session)
    assert "Evidence is highlighted" not in plain(session)


def test_keys_accept_none_toggle_save_skip_undo_quit(tmp_path: Path):
    queue = [make_case(i) for i in range(5)]
    s = session_for(tmp_path, queue)
    s.press("y")
    assert s.status.startswith("Saved case C0: threat")
    s.press("n")
    assert s.status.startswith("Saved case C1: none apply")
    s.press("1")
    s.press("3")  # money on, threat off
    assert s.selection == ["money"]
    s.press("enter")
    assert s.status.startswith("Saved case C2: money")
    s.press("s")
    assert s.current.case_id == "C4" and "Skipped case C3" in s.status
    s.press("u")
    assert s.current.case_id == "C2" and "Undid decision #3" in s.status
    s.press("9")
    assert "There is no label 9" in s.status
    s.press("?")
    assert s.showing_definitions and "no definition" in plain(s)
    s.press("x")
    assert not s.showing_definitions and s.current.case_id == "C2"
    s.press("q")
    assert s.finished
    standing = {d.case_id: d.labels for d in s.store.standing().values()}
    assert standing == {"C0": ("threat",), "C1": ()}


def test_same_text_is_not_asked_twice_and_resume_starts_after_last(tmp_path: Path):
    queue = [make_case(0, "same words"), make_case(1, "same words"), make_case(2), make_case(3)]
    s = session_for(tmp_path, queue)
    s.press("n")
    assert s.current.case_id == "C2"  # C1 has the same text hash as C0
    s.press("n")
    s.store.close()
    again = ReviewSession(
        ReviewStore(tmp_path / "r.db", labels=LABELS), queue, labels=LABELS, model_id="m",
        reviewer="ana", strategy="uncertain",
    )  # fmt: skip
    assert again.current.case_id == "C3" and again.status.startswith("Resumed: 2 case(s)")
    other = ReviewSession(
        again.store, queue, labels=LABELS, model_id="m", reviewer="bo", strategy="uncertain"
    )
    assert other.current.case_id == "C0"  # another reviewer decides independently


def test_undo_reaches_a_decision_from_an_earlier_session(tmp_path: Path):
    s = session_for(tmp_path, [make_case(0), make_case(1)])
    s.press("y")
    later = ReviewSession(
        s.store, [make_case(5)], labels=LABELS, model_id="m", reviewer="ana", strategy="uncertain"
    )
    later.press("u")
    assert later.current.case_id == "C0" and later.current.scores["threat"] == 0.8
    later.press("n")
    assert {d.case_id: d.labels for d in s.store.standing().values()} == {"C0": ()}


def test_two_digit_labels(tmp_path: Path):
    labels = [f"l{i}" for i in range(1, 13)]
    case = make_case(0, scores={x: 0.1 for x in labels}, predicted=[])
    s = session_for(tmp_path, [case], labels=labels)
    for key in "012":
        s.press(key)
    assert s.selection == ["l12"]
    s.press("3")
    assert s.selection == ["l3", "l12"]
    assert "press 0, then the two-digit number" in plain(s)


def test_audit_hides_the_model_and_none_apply_is_an_explicit_key(tmp_path: Path):
    case = make_case(0, evidence={"threat": ["threatened"]})
    s = session_for(tmp_path, [case, make_case(1), make_case(2)], strategy="audit")
    text = plain(s)
    assert "Model predicts" not in text and "0.80" not in text and "confidence" not in text
    assert "model: yes" not in text and "\x1b[1;7m" not in render(s)
    assert s.selection == []
    # No default to accept: the legend has no [y], and y saves nothing.
    assert s.legend == AUDIT_LEGEND and "[y]" not in s.legend and "[n] none apply" in s.legend
    s.press("y")
    assert s.store.standing() == {} and "no answer here" in s.status
    # enter with nothing checked saves nothing either: "none apply" must be pressed.
    s.press("enter")
    assert s.store.standing() == {} and "press n if none apply" in s.status
    s.press("2")
    s.press("enter")
    (d,) = s.store.standing().values()
    assert d.labels == ("query",) and d.strategy == "audit" and d.predicted["threat"] == 0.8
    s.press("n")
    assert sorted(d.labels for d in s.store.standing().values()) == [(), ("query",)]
    assert s.current.case_id == "C2"


def test_single_label_screen_takes_exactly_one_label(tmp_path: Path):
    store = ReviewStore(tmp_path / "r.db", labels=LABELS)
    s = ReviewSession(
        store, [make_case(0), make_case(1)], labels=LABELS, model_id="m", reviewer="ana",
        strategy="uncertain", single_label=True, allow_none=False,
    )  # fmt: skip
    assert "[n]" not in s.legend and "[1-9] choose label" in s.legend
    s.press("1")
    assert s.selection == ["money"]  # choosing replaces the model's threat
    s.press("2")
    assert s.selection == ["query"]
    s.press("n")
    assert store.standing() == {} and "exactly one label" in s.status
    s.press("2")  # un-choose: nothing selected
    s.press("enter")
    assert store.standing() == {} and "check one" in s.status
    s.press("3")
    s.press("enter")
    (d,) = store.standing().values()
    assert d.labels == ("threat",)
    # With cases outside the codebook in training, "none apply" is allowed.
    other = ReviewSession(
        store, [make_case(1)], labels=LABELS, model_id="m", reviewer="ben",
        strategy="uncertain", single_label=True, allow_none=True,
    )  # fmt: skip
    assert "[n] none apply" in other.legend
    other.press("n")
    assert store.standing("ben")[("ben", make_case(1).text_hash)].labels == ()


def test_allocation_and_audit_draw_by_band():
    assert allocate([50, 5, 20, 100], 40) == [12, 5, 12, 11]
    assert allocate([3, 2], 10) == [3, 2]
    confs = [0.1] * 50 + [0.3] * 5 + [0.6] * 20 + [0.9] * 100
    cases = [make_case(i, conf=c) for i, c in enumerate(confs)]
    design = draw_audit(cases, size=40, seed=1)
    assert len(design.sample) == len(set(design.sample)) == 40
    per_band = [sum(design.bands[p] == h for p in design.sample) for h in range(4)]
    assert per_band == [12, 5, 12, 11]
    assert design.bands[:50] == [0] * 50 and design.bands[-1] == 3
    assert draw_audit(cases, size=40, seed=1).sample == design.sample
    assert draw_audit(cases, size=40, seed=2).sample != design.sample
    assert design.sample != sorted(design.sample)  # shown in shuffled order


def test_order_uncertain_random_and_by_label():
    cases = [
        make_case(0, conf=0.9, scores={"money": 0.5, "query": 0.0, "threat": 1.0}),
        make_case(1, conf=0.1, scores={"money": 0.0, "query": 0.1, "threat": 0.9}),
        make_case(2, conf=0.5, scores={"money": 1.0, "query": 0.5, "threat": 0.0}),
    ]
    assert order_cases(cases, "uncertain") == [1, 2, 0]
    assert order_cases(cases, "uncertain", label="money") == [0, 1, 2]
    assert order_cases(cases, "uncertain", limit=2) == [1, 2]
    assert sorted(order_cases(cases, "random", seed=3)) == [0, 1, 2]
    with pytest.raises(InputError, match="Unknown strategy"):
        order_cases(cases, "newest")


def test_open_review_audit_is_reused_on_resume_and_tied_to_its_release(
    tmp_path: Path, trained_model
):
    data = tmp_path / "cases.csv"
    make_corpus(60, seed=4).to_csv(data, index=False)
    store = tmp_path / "audit.db"
    first = open_review(data, trained_model, store, id_col="id", strategy="audit", limit=12)
    sample = [c.case_id for c in first.queue]
    first.press("n")
    first.store.close()
    again = open_review(data, trained_model, store, id_col="id", strategy="audit", limit=30)
    assert [c.case_id for c in again.queue] == sample and again.current.case_id == sample[1]
    again.store.close()
    other = tmp_path / "other.csv"
    make_corpus(60, seed=5).to_csv(other, index=False)
    with pytest.raises(StoreError, match="already holds an audit of another release"):
        open_review(other, trained_model, store, id_col="id", strategy="audit")


def test_open_review_checks_its_options(tmp_path: Path, trained_model):
    data = tmp_path / "cases.csv"
    pd.DataFrame({"text": ["a b c", "d e f"]}).to_csv(data, index=False)
    store = tmp_path / "s.db"
    with pytest.raises(InputError, match="`limit` must be at least 1"):
        open_review(data, trained_model, store, limit=0)
    with pytest.raises(InputError, match="reviewer name is empty"):
        open_review(data, trained_model, store, reviewer="  ")
    with pytest.raises(InputError, match="Unknown strategy"):
        open_review(data, trained_model, store, strategy="newest")
    session = open_review(data, trained_model, store, label="THREAT")
    assert sorted(c.case_id for c in session.queue) == ["1", "2"]  # row numbers as ids
    session.store.close()


def test_evidence_from_the_model_reaches_the_screen(
    tmp_path: Path, trained_model, monkeypatch: pytest.MonkeyPatch
):
    cited = []

    def explain(texts, decided):
        cited.append(len(texts))
        return [[{"label": "threat", "phrase": "threatened", "sentence": "", "weight": 1.0}]]

    monkeypatch.setattr(trained_model, "explain", explain)
    data = tmp_path / "cases.csv"
    pd.DataFrame({"text": ["Officer threatened a neighbour. Case closed."]}).to_csv(data)
    (case,) = load_cases(data, trained_model)
    assert case.predicted and cited == []  # nothing cited until a screen asks
    assert case.phrases() == {"threat": ["threatened"]} and cited == [1]
    session = session_for(tmp_path, [case])
    assert "\x1b[1;7mthreatened\x1b[0m" in render(session)
    assert cited == [1]  # worked out once


def test_load_cases_works_out_evidence_only_for_cases_shown(
    tmp_path: Path, trained_model, monkeypatch: pytest.MonkeyPatch
):
    # Issue 17: the review computed the evidence of every row of the release before the
    # first screen (and pandas copied it per row): minutes on a release of a few thousand.
    original = trained_model.explain
    calls = []

    def counting(texts, decided):
        calls.append(len(texts))
        return original(texts, decided)

    monkeypatch.setattr(trained_model, "explain", counting)
    data = tmp_path / "cases.csv"
    texts = make_corpus(40, seed=3).text.tolist()
    pd.DataFrame({"text": texts}).to_csv(data, index=False)
    cases = load_cases(data, trained_model)
    assert len(cases) == 40 and calls == []
    shown = next(c for c in cases if c.predicted)
    render(session_for(tmp_path, [shown]))
    assert calls == [1]
    # The phrases are the model's own evidence for that case's predicted labels.
    frame = trained_model.predict([shown.text], evidence=True)
    expected: dict[str, list[str]] = {}
    for item in frame.attrs["evidence"][0]:
        expected.setdefault(item["label"], []).append(item["phrase"])
    assert shown.phrases() == expected and expected


def test_load_cases_scores_each_distinct_text_once_as_predict_does(
    tmp_path: Path, trained_model, monkeypatch: pytest.MonkeyPatch
):
    texts = make_corpus(12, seed=5).text.tolist()
    rows = texts + texts[:6] + ["", "   "]  # repeated narratives and blanks, as releases have
    data = tmp_path / "cases.csv"
    pd.DataFrame({"id": [f"c{i}" for i in range(len(rows))], "text": rows}).to_csv(
        data, index=False
    )
    featurized = []
    original = trained_model.featurize

    def counting(docs, *args, **kwargs):
        featurized.append(len(docs))
        return original(docs, *args, **kwargs)

    monkeypatch.setattr(trained_model, "featurize", counting)
    cases = load_cases(data, trained_model, id_col="id")
    assert featurized == [14]  # 12 narratives, "" and "   " (the blank ones), once each
    monkeypatch.undo()
    expected = trained_model.predict(rows, ids=[c.case_id for c in cases])
    for case, (_, row) in zip(cases, expected.iterrows(), strict=True):
        assert case.predicted == [x for x in str(row["labels"]).split(";") if x]
        assert case.confidence == pytest.approx(row["confidence"], abs=1e-12, nan_ok=True)
        assert case.scores == pytest.approx(
            {label: row[f"p_{label}"] for label in trained_model.labels}, abs=1e-12, nan_ok=True
        )
        assert case.text_hash == text_hash(case.text)


def test_audit_asks_again_blind_what_was_decided_with_the_model_in_view(tmp_path: Path):
    queue = [make_case(0), make_case(1)]
    seen = session_for(tmp_path, queue)
    seen.press("y")
    audit = ReviewSession(
        seen.store, queue, labels=LABELS, model_id="m", reviewer="ana", strategy="audit"
    )
    assert audit.current.case_id == "C0"
    audit.press("²")  # a unicode digit is not a label key
    assert "does nothing here" in audit.status


def test_escape_sequences_in_a_narrative_do_not_reach_the_terminal(tmp_path: Path):
    text = "Officer threatened\x1b[2J\x1b]0;owned\x07 a neighbour."
    case = make_case(0, text=text, evidence={"threat": ["neighbour"]})
    case.case_id = "C\x1b[31m0"
    screen = render(session_for(tmp_path, [case]))
    assert "\x1b[2J" not in screen and "\x1b]0;" not in screen and "\x1b[31m0" not in screen
    assert "\x1b[1;7mneighbour\x1b[0m" in screen  # spans still line up


# -- long narratives at 80x24 (issue 19.9) ---------------------------------------------------
def screen_at(session: ReviewSession, width: int = 80, height: int = 24) -> list[str]:
    """The screen's lines as the terminal front end prints them (legend included)."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False).print(
        build_screen(session, height=height, width=width)
    )
    Console(file=buffer, width=width, force_terminal=False).print(LEGEND, markup=False)
    return buffer.getvalue().splitlines()


def test_long_narrative_pages_and_keeps_header_labels_and_legend_at_80x24(tmp_path: Path):
    words = [f"w{i:03d}" for i in range(600)]  # about 2,900 characters, 40 lines at 76 columns
    session = session_for(tmp_path, [make_case(0, text=" ".join(words)), make_case(1)])
    seen: list[str] = []
    for page in range(8):
        lines = screen_at(session)
        assert len(lines) <= 23  # the cursor's line fits too: nothing scrolls off the top
        assert lines[0].startswith("allegations review")
        assert any("[ ]  1 money" in line or "[x]  1 money" in line for line in lines)
        assert "[q] quit" in " ".join(lines[-2:])
        title = next(line for line in lines if "narrative" in line)
        assert "[space] next page" in title
        n_pages = int(title.split(" of ")[1].split()[0])
        assert f"page {page % n_pages + 1} of {n_pages}" in title
        seen.extend(w for line in lines for w in line.split() if w.startswith("w"))
        session.press(" ")
        assert session.current.case_id == "C0"  # paging decides nothing
    assert set(words) <= set(seen)  # every word of the narrative was on some page
    session.press("y")
    assert session.page == 0 and session.current.case_id == "C1"
    assert "page" not in " ".join(screen_at(session))  # a short narrative has one page


def test_without_a_height_the_narrative_is_whole(tmp_path: Path):
    text = " ".join(f"w{i:03d}" for i in range(600))
    screen = plain(session_for(tmp_path, [make_case(0, text=text)]))
    assert "w599" in screen and "next page" not in screen
