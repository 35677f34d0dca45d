"""The web review in a real headless browser: Debian's chromium, driven by Selenium through
Debian's chromedriver (nothing is downloaded). Skips when either is absent."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from allegations.review._session import LEGEND
from allegations.review._store import ReviewStore

from ..conftest import ROOT, SECRET, make_corpus
from ..support.web import Server, start_server

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
        reason="chromium and chromium-driver are not installed (apt-get install chromium "
        "chromium-driver)",
    ),
]
#: ALLEGATIONS_SCREENSHOTS=1 also writes the screenshot to docs/review-web.png.
SCREENSHOT = ROOT / "docs" / "review-web.png"
ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1100,860",
    "--no-first-run",
    "--disable-extensions",
)


@pytest.fixture()
def browser() -> Iterator[Callable[[], Any]]:
    """A factory of headless chromium windows (each its own profile, so its own cookies)."""
    made: list[Any] = []

    def new() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ARGS:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        made.append(driver)
        return driver

    yield new
    for driver in made:
        driver.quit()


@pytest.fixture()
def server_for(tmp_path: Path, model_dir: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(data: Path, *extra: str) -> Server:
        server = start_server(tmp_path, data, model_dir, tmp_path / "review.db", *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.kill()


@pytest.fixture()
def cases_csv(tmp_path: Path) -> Path:
    df = make_corpus(60, seed=11)
    df["text"] = df["text"] + f" {SECRET} file " + df["id"]
    path = tmp_path / "cases.csv"
    df.to_csv(path, index=False)
    return path


def settle(driver: Any) -> None:
    """Wait until the page has loaded and every key sent has its answer on screen."""
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return document.body.dataset.ready === '1' && document.body.dataset.pending === '0'"
        )
    )


def press(driver: Any, *keys: str) -> None:
    for key in keys:
        ActionChains(driver).send_keys(key).perform()
        settle(driver)


def text(driver: Any, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def join(driver: Any, server: Server, name: str) -> None:
    driver.get(server.url)
    settle(driver)
    assert "token" not in driver.current_url  # swapped for a cookie, gone from the address
    field = driver.find_element(By.ID, "reviewer-input")
    field.clear()
    field.send_keys(name, Keys.ENTER)
    settle(driver)
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "review").is_displayed())


def shown_id(driver: Any) -> str:
    return text(driver, "where").split(" · id ")[1].split(" · ")[0]


def test_ten_cases_by_keyboard_undo_reload_resume(
    browser: Callable[[], Any], server_for: Callable[..., Server], cases_csv: Path, tmp_path: Path
) -> None:
    server = server_for(cases_csv, "--limit", "20", "--reviewer", "ana")
    driver = browser()
    join(driver, server, "ana")
    assert text(driver, "legend") == LEGEND
    assert "reviewer ana · 0 of 20 decided" in text(driver, "head")
    expected: dict[str, tuple[str, ...]] = {}
    for i in range(10):
        case_id = shown_id(driver)
        if i % 3 == 2:  # digits then enter: toggle label 1 and save
            boxes = driver.find_elements(By.CSS_SELECTOR, "#labels input")
            before = [b.is_selected() for b in boxes]
            press(driver, "1", Keys.ENTER)
            labels = [x for x, on in zip(("money", "query", "threat"), before, strict=True) if on]
            labels = sorted({*labels} ^ {"money"}, key=["money", "query", "threat"].index)
        else:
            rows = driver.find_elements(By.CSS_SELECTOR, "#labels li")
            model = [li.text.split()[1] for li in rows if "model: yes" in li.text]
            key = "y" if i % 2 == 0 else "n"
            press(driver, key)
            labels = model if key == "y" else []
        assert f"Saved case {case_id}: " in text(driver, "status")
        expected[case_id] = tuple(labels)
    assert "10 of 20 decided · 10 saved this session" in text(driver, "head")
    assert driver.find_element(By.ID, "progress").get_attribute("value") == "10"
    last = case_id
    press(driver, "u")
    assert text(driver, "status").startswith("Undid decision #10 on case " + last)
    assert shown_id(driver) == last
    del expected[last]
    if os.environ.get("ALLEGATIONS_SCREENSHOTS") == "1":
        driver.save_screenshot(str(SCREENSHOT))
    driver.save_screenshot(str(tmp_path / "review-web.png"))

    driver.refresh()  # resume: the same reviewer, the same case, nothing lost
    settle(driver)
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "review").is_displayed())
    assert shown_id(driver) == last
    assert "reviewer ana · 9 of 20 decided" in text(driver, "head")
    press(driver, "q")
    assert driver.find_element(By.ID, "left").is_displayed()
    assert "9 of 20 cases" in text(driver, "left-text")

    code, out, err = server.stop()
    assert code == 0, err
    assert "Saved 10 decision(s)" in out and "(1 undone) by 1 reviewer(s)" in out
    with ReviewStore(tmp_path / "review.db", create=False) as store:
        standing = store.standing("ana")
    assert {d.case_id: d.labels for d in standing.values()} == expected
    assert SECRET not in out + err  # the server's own output names no narrative


def test_two_reviewers_at_once(
    browser: Callable[[], Any], server_for: Callable[..., Server], cases_csv: Path, tmp_path: Path
) -> None:
    server = server_for(cases_csv, "--limit", "15")
    ana, ben = browser(), browser()
    join(ana, server, "ana")
    join(ben, server, "ben")
    assert shown_id(ana) == shown_id(ben)  # the same queue for both
    for _ in range(4):  # interleaved: the two sessions do not disturb each other
        ActionChains(ana).send_keys("y").perform()
        ActionChains(ben).send_keys("n").perform()
        settle(ana)
        settle(ben)
    press(ben, "n")
    assert "reviewer ana · 4 of 15 decided" in text(ana, "head")
    assert "reviewer ben · 5 of 15 decided" in text(ben, "head")
    server.stop()
    with ReviewStore(tmp_path / "review.db", create=False) as store:
        assert len(store.standing("ana")) == 4
        assert len(store.standing("ben")) == 5
        assert all(d.labels == () for d in store.standing("ben").values())
        assert store.integrity_check() == "ok"


def test_narratives_render_as_text_and_the_csp_blocks_inline_script(
    browser: Callable[[], Any], server_for: Callable[..., Server], tmp_path: Path
) -> None:
    hostile = [
        "Officer threatened a neighbour. <script>window.pwned = 1</script>",
        'Officer ran a records check on <img src=x onerror="window.pwned = 2"> a coworker.',
        "Officer took cash from <b>a friend</b> & said </div><iframe src=//evil>.",
    ]
    data = tmp_path / "hostile.csv"
    pd.DataFrame({"id": ["H1", "H2", "H3"], "text": hostile}).to_csv(data, index=False)
    server = server_for(data)

    outsider = browser()  # no token: nothing but 403
    outsider.get(server.base + "/")
    assert "Forbidden" in outsider.page_source and "narrative" not in outsider.page_source

    driver = browser()
    join(driver, server, "ana")
    seen = set()
    for _ in range(3):
        narrative = driver.find_element(By.ID, "narrative")
        seen.add(narrative.text)
        tags = driver.execute_script(
            "return [...document.getElementById('narrative').children].map(e => e.tagName)"
        )
        assert set(tags) <= {"MARK"}  # evidence marks only: no element from the data
        press(driver, "n")
    assert seen == set(hostile)
    assert driver.execute_script("return window.pwned") is None
    assert not driver.find_elements(By.CSS_SELECTOR, "main img, main iframe, main b")

    # The CSP forbids inline script even when someone manages to insert it.
    driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.inlineRan = 1';"
        "document.body.appendChild(s);"
    )
    assert driver.execute_script("return window.inlineRan") is None
    logs = " ".join(entry["message"] for entry in driver.get_log("browser"))
    assert "Content Security Policy" in logs


def test_the_mouse_does_what_the_keys_do(
    browser: Callable[[], Any], server_for: Callable[..., Server], cases_csv: Path, tmp_path: Path
) -> None:
    server = server_for(cases_csv, "--limit", "5")
    driver = browser()
    join(driver, server, "ana")
    first = shown_id(driver)
    box = driver.find_element(By.CSS_SELECTOR, '#labels input[data-number="3"]')
    was = box.is_selected()
    box.click()
    settle(driver)
    again = driver.find_element(By.CSS_SELECTOR, '#labels input[data-number="3"]')
    assert again.is_selected() != was
    driver.find_element(By.CSS_SELECTOR, 'button[data-key="enter"]').click()
    settle(driver)
    assert f"Saved case {first}" in text(driver, "status")
    driver.find_element(By.CSS_SELECTOR, 'button[data-key="?"]').click()
    settle(driver)
    assert driver.find_element(By.ID, "definitions").is_displayed()
    press(driver, "x")  # any key goes back
    assert not driver.find_element(By.ID, "definitions").is_displayed()
    driver.find_element(By.CSS_SELECTOR, 'button[data-key="u"]').click()
    settle(driver)
    assert shown_id(driver) == first
    server.stop()
    with ReviewStore(tmp_path / "review.db", create=False) as store:
        assert store.standing("ana") == {}
