"""The web review's HTTP API through Starlette's TestClient: token, CSRF, CSP, decisions."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from allegations.review._opening import open_review
from allegations.review._session import LEGEND
from allegations.review._store import ReviewStore

from ..conftest import make_corpus

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient  # noqa: E402

from allegations.review.web import CSP, ReviewHub, case_segments, create_app  # noqa: E402

TOKEN = "test-token-0123456789"
CSRF = "test-csrf-abcdef"
ORIGIN = "http://testserver"
SECRET = "Zanzibar-Canary-4471"


@pytest.fixture()
def cases_csv(tmp_path: Path) -> Path:
    df = make_corpus(60, seed=5)
    df["text"] = df["text"] + f" {SECRET} file " + df["id"]  # unique texts
    path = tmp_path / "cases.csv"
    df.to_csv(path, index=False)
    return path


def make_hub(data: Path, model: Path, store: Path, **options: Any) -> ReviewHub:
    session = open_review(data, model, store, id_col="id", reviewer="ana", **options)
    return ReviewHub(session, default_reviewer="ana <b>")


@pytest.fixture()
def hub(cases_csv: Path, model_dir: Path, tmp_path: Path) -> Iterator[ReviewHub]:
    made = make_hub(cases_csv, model_dir, tmp_path / "review.db", limit=12)
    yield made
    made.close()


@pytest.fixture()
def client(hub: ReviewHub) -> Iterator[TestClient]:
    app = create_app(hub, token=TOKEN, csrf=CSRF)
    with TestClient(app, base_url=ORIGIN) as c:
        c.cookies.set("allegations_review", TOKEN)
        yield c


def post(client: TestClient, path: str, body: dict[str, Any], **headers: str) -> Any:
    sent = {"X-CSRF-Token": CSRF, "Origin": ORIGIN, **headers}
    return client.post(path, json=body, headers=sent)


def key(client: TestClient, reviewer: str, k: str, version: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"reviewer": reviewer, "key": k}
    if version is not None:
        body["version"] = version
    response = post(client, "/api/key", body)
    assert response.status_code == 200, response.text
    return response.json()


# -- the guard ------------------------------------------------------------------------------
def test_every_request_needs_the_token(hub: ReviewHub) -> None:
    app = create_app(hub, token=TOKEN, csrf=CSRF)
    with TestClient(app, base_url=ORIGIN) as c:
        for path in ("/", "/static/app.js", "/favicon.ico", "/?token=wrong"):
            response = c.get(path)
            assert response.status_code == 403, path
            assert "token" in response.text
            assert response.headers["content-security-policy"] == CSP
        assert post(c, "/api/join", {"reviewer": "ana"}).status_code == 403
        # The printed URL: the token is swapped for an HttpOnly, SameSite=Strict cookie and
        # dropped from the address.
        first = c.get(f"/?token={TOKEN}", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/"
        cookie = first.headers["set-cookie"]
        assert f"allegations_review={TOKEN}" in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        page = c.get("/")
        assert page.status_code == 200
        assert 'name="csrf" content="test-csrf-abcdef"' in page.text
        # The default reviewer name (from the command line) is escaped into the page.
        assert "ana &lt;b&gt;" in page.text and "ana <b>" not in page.text
        assert c.get("/static/app.js").status_code == 200
        assert post(c, "/api/join", {"reviewer": "ana"}).status_code == 200


def test_security_headers_forbid_external_loads_and_inline_script(client: TestClient) -> None:
    for path in ("/", "/static/app.js", "/static/app.css"):
        response = client.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/").text
    assert "<script src=" in page and "<script>" not in page  # no inline script
    assert "http://" not in page and "https://" not in page  # no external asset


def test_state_changes_need_the_csrf_header_and_the_same_origin(client: TestClient) -> None:
    body = {"reviewer": "ana"}
    assert client.post("/api/join", json=body, headers={"Origin": ORIGIN}).status_code == 403
    wrong = post(client, "/api/join", body, **{"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    evil = post(client, "/api/join", body, Origin="http://evil.example")
    assert evil.status_code == 403 and "cross-origin" in evil.text
    no_origin = client.post("/api/join", json=body, headers={"X-CSRF-Token": CSRF})
    assert no_origin.status_code == 403
    site = post(client, "/api/join", body, **{"Sec-Fetch-Site": "cross-site"})
    assert site.status_code == 403
    assert client.get("/api/join").status_code == 405
    assert client.put("/api/join", json=body, headers={"X-CSRF-Token": CSRF}).status_code == 403
    assert post(client, "/api/join", body).status_code == 200


def test_a_wrong_host_header_is_refused(hub: ReviewHub) -> None:
    """DNS rebinding: a page of another site resolved to 127.0.0.1 sends its own Host."""
    app = create_app(hub, token=TOKEN, csrf=CSRF, allowed_hosts=["127.0.0.1:8765"])
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        c.cookies.set("allegations_review", TOKEN)
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"Host": "rebind.example:8765"}).status_code == 403


# -- the review -----------------------------------------------------------------------------
def test_decisions_are_committed_before_the_next_case_is_returned(
    client: TestClient, hub: ReviewHub
) -> None:
    state = post(client, "/api/join", {"reviewer": "ana"}).json()
    assert state["reviewer"] == "ana" and state["legend"] == LEGEND
    assert state["decided"] == 0 and state["total"] == 12
    first = state["case"]
    assert first["position"] == 1 and SECRET in "".join(p["text"] for p in first["segments"])
    assert [x["name"] for x in state["labels"]] == hub.labels
    after = key(client, "ana", "y", state["version"])
    assert after["last"]["kind"] == "saved" and after["last"]["case_id"] == first["id"]
    assert after["case"]["id"] != first["id"] and after["decided"] == 1
    # A second connection sees the committed row as soon as the response is back.
    with sqlite3.connect(hub.store_path) as con:
        rows = con.execute("SELECT seq, case_id, labels, reviewer FROM decisions").fetchall()
    assert rows == [(after["last"]["seq"], first["id"], rows[0][2], "ana")]
    predicted = [p["name"] for p in first["predicted"]]
    assert after["last"]["labels"] == predicted

    # Toggle by number (the mouse), then save; none apply; skip; undo.
    second = after["case"]
    toggled = post(client, "/api/toggle", {"reviewer": "ana", "number": 1}).json()
    chosen = [x["name"] for x in toggled["labels"] if x["checked"]]
    saved = key(client, "ana", "enter")
    assert saved["last"]["labels"] == chosen and saved["last"]["case_id"] == second["id"]
    none = key(client, "ana", "n")
    assert none["last"]["labels"] == [] and none["decided"] == 3
    skipped = key(client, "ana", "s")
    assert "Skipped" in skipped["status"] and skipped["last"] is None
    undone = key(client, "ana", "u")
    assert undone["last"]["kind"] == "undid" and undone["last"]["seq"] == none["last"]["seq"]
    assert undone["case"]["id"] == none["last"]["case_id"] and undone["decided"] == 2
    with ReviewStore(hub.store_path, create=False) as store:
        standing = store.standing("ana")
    assert len(standing) == 2


def test_resume_after_a_restart_and_the_definitions(
    cases_csv: Path, model_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "review.db"
    hub = make_hub(cases_csv, model_dir, store, limit=12)
    try:
        with TestClient(create_app(hub, token=TOKEN, csrf=CSRF), base_url=ORIGIN) as c:
            c.cookies.set("allegations_review", TOKEN)
            post(c, "/api/join", {"reviewer": "ana"})
            for k in "ynyn":
                state = key(c, "ana", k)
            where = state["case"]["id"]
            shown = key(c, "ana", "?")
            assert shown["definitions"] is not None and len(shown["definitions"]) == 3
            back = key(c, "ana", "y")  # any key returns, and does nothing else
            assert back["definitions"] is None and back["case"]["id"] == where
            left = key(c, "ana", "q")
            assert left["left"] and left["decided"] == 4
    finally:
        hub.close()
    again = make_hub(cases_csv, model_dir, store, limit=12)
    try:
        with TestClient(create_app(again, token=TOKEN, csrf=CSRF), base_url=ORIGIN) as c:
            c.cookies.set("allegations_review", TOKEN)
            state = post(c, "/api/join", {"reviewer": "ana"}).json()
            assert state["decided"] == 4 and state["case"]["id"] == where
            assert state["status"].startswith("Resumed: 4 case(s)")
            other = post(c, "/api/join", {"reviewer": "ben"}).json()
            assert other["decided"] == 0 and other["case"]["position"] == 1
    finally:
        again.close()


def test_two_reviewers_decide_independently(client: TestClient, hub: ReviewHub) -> None:
    post(client, "/api/join", {"reviewer": "ana"})
    post(client, "/api/join", {"reviewer": "  ben   b  "})  # named as open_review names
    for _ in range(3):
        key(client, "ana", "y")
        key(client, "ben b", "n")
    key(client, "ben b", "n")
    with ReviewStore(hub.store_path, create=False) as store:
        assert len(store.standing("ana")) == 3
        assert len(store.standing("ben b")) == 4
        assert all(d.labels == () for d in store.standing("ben b").values())
    assert hub.totals() == {"reviewers": 2, "saved": 7, "undone": 0}


def test_a_stale_page_changes_nothing(client: TestClient, hub: ReviewHub) -> None:
    """Two tabs of one reviewer: the behind one gets the current state, not a decision."""
    state = post(client, "/api/join", {"reviewer": "ana"}).json()
    key(client, "ana", "y", state["version"])
    behind = post(client, "/api/key", {"reviewer": "ana", "key": "n", "version": state["version"]})
    assert behind.status_code == 409
    assert "nothing was applied" in behind.json()["status"]
    with ReviewStore(hub.store_path, create=False) as store:
        assert len(store.decisions("ana")) == 1


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/api/join", {"reviewer": ""}, "empty"),
        ("/api/join", {"reviewer": 3}, "must be text"),
        ("/api/join", {"reviewer": "x" * 81}, "at most 80"),
        ("/api/key", {"reviewer": "ana", "key": "x"}, "not a review key"),
        ("/api/key", {"reviewer": "nobody", "key": "y"}, "has not started"),
        ("/api/toggle", {"reviewer": "ana", "number": "1"}, "whole number"),
    ],
)
def test_bad_requests_get_a_message(
    client: TestClient, path: str, body: dict[str, Any], expected: str
) -> None:
    post(client, "/api/join", {"reviewer": "ana"})
    response = post(client, path, body)
    assert response.status_code == 400
    assert expected in response.json()["error"]


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    headers = {"X-CSRF-Token": CSRF, "Origin": ORIGIN, "Content-Type": "application/json"}
    response = client.post("/api/join", content=b"{not json", headers=headers)
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    big = client.post("/api/join", content=b"[" + b" " * 20_000 + b"]", headers=headers)
    assert big.status_code == 400


def test_the_audit_is_blind_in_the_browser_too(
    cases_csv: Path, model_dir: Path, tmp_path: Path
) -> None:
    hub = make_hub(cases_csv, model_dir, tmp_path / "audit.db", strategy="audit", limit=8)
    try:
        with TestClient(create_app(hub, token=TOKEN, csrf=CSRF), base_url=ORIGIN) as c:
            c.cookies.set("allegations_review", TOKEN)
            state = post(c, "/api/join", {"reviewer": "ana"}).json()
            assert state["blind"] and state["total"] == 8
            assert "confidence" not in state["case"] and "predicted" not in state["case"]
            assert all("score" not in x and not x["checked"] for x in state["labels"])
            assert all(not p["labels"] for p in state["case"]["segments"])
            assert "accept" not in state["legend"] and "[n] none apply" in state["legend"]
            assert key(c, "ana", "y")["last"] is None  # no model call to accept: nothing saved
            saved = key(c, "ana", "n")  # "none apply" is an explicit choice
            assert saved["last"]["labels"] == []
    finally:
        hub.close()


def test_evidence_segments_cover_the_text_once(hub: ReviewHub) -> None:
    case = next(c for c in hub.queue if c.predicted)
    pieces = hub.run_sync(case_segments, case, True)
    assert "".join(p["text"] for p in pieces) == case.text
    assert any(p["labels"] for p in pieces)
    assert hub.run_sync(case_segments, case, False) == [{"text": case.text, "labels": []}]


def test_no_narrative_text_in_the_log(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    post(client, "/api/join", {"reviewer": "ana"})
    for k in "yn1us?q":
        post(client, "/api/key", {"reviewer": "ana", "key": k})
    post(client, "/api/key", {"reviewer": "ana", "key": "bogus"})
    assert caplog.records  # the log did run
    assert SECRET not in caplog.text


def test_adjudication_in_the_browser_records_the_adjudicator_and_shows_the_answers(
    cases_csv: Path, model_dir: Path, tmp_path: Path
) -> None:
    """The browser's sessions keep the template's rules: with --adjudicate, the disputed
    cases with each reviewer's answer, and decisions stored as the adjudicator's."""
    store_path = tmp_path / "disputed.db"
    first = open_review(cases_csv, model_dir, store_path, id_col="id", reviewer="ana", limit=3)
    labels = first.labels
    case = first.queue[0]
    for name, answer in (("ana", [labels[0]]), ("bo", [labels[1]])):
        first.store.record(
            case_id=case.case_id, text=case.text, labels=answer, predicted=case.scores,
            model_id=first.model_id, reviewer=name, strategy="uncertain",
        )  # fmt: skip
    first.store.close()
    hub = make_hub(cases_csv, model_dir, store_path, adjudicate=True)
    try:
        with TestClient(create_app(hub, token=TOKEN, csrf=CSRF), base_url=ORIGIN) as c:
            c.cookies.set("allegations_review", TOKEN)
            state = post(c, "/api/join", {"reviewer": "cy"}).json()
            assert state["total"] == 1 and state["case"]["id"] == case.case_id
            assert state["blind"] and "accept" not in state["legend"]
            given = {a["reviewer"]: a["labels"] for a in state["case"]["answers"]}
            assert given == {"ana": [labels[0]], "bo": [labels[1]]}
            key(c, "cy", "2")
            saved = key(c, "cy", "enter")
            assert saved["last"]["labels"] == [labels[1]]
    finally:
        hub.close()
    with ReviewStore(store_path, labels=labels) as store:
        roles = {d.reviewer: d.role for d in store.decisions()}
    assert roles == {"ana": "reviewer", "bo": "reviewer", "cy": "adjudicator"}
