"""The report in a real headless browser (Debian's chromium): figures drawn, offline, printable.

The set-up installs chromium with apt-get when it is missing and this is possible (root,
apt-get present); the outcome of a failed attempt is cached, and the tests skip with the
reason. Layout is measured in a first run (``--dump-dom`` of a copy with a measuring
script), the unmodified report is then screenshot at the same width, and each figure's
region of the screenshot is checked for drawn pixels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from allegations.report._build import (
    build_report,
    load_card,
    read_predictions,
    read_release_summary,
)
from allegations.report._html import render_html
from allegations.report._svg import OKABE_ITO

from ..conftest import SHA, fake_store

pytestmark = pytest.mark.slow  # a real browser: in make test, not make check

CACHE_KEY = "allegations/chromium-install"
WIDTH = 1200
BINARIES = ("chromium", "chromium-browser", "google-chrome")


def _find_browser() -> str | None:
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _install_chromium() -> str | None:
    """Install Debian's chromium; return None on success, else why it failed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install chromium"
    if shutil.which("apt-get") is None:
        return "apt-get is not available on this system"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
        except subprocess.TimeoutExpired:
            return f"'{' '.join(cmd)}' timed out"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return f"'{' '.join(cmd)}' failed (exit {done.returncode}): {tail[0][:200]}"
    return None


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> str:
    """Path of a chromium binary, installed with apt-get if needed, or skip."""
    found = _find_browser()
    if found:
        return found
    cached = request.config.cache.get(CACHE_KEY, None)
    if cached:
        pytest.skip(
            f"chromium is not installed and installing it failed earlier: {cached} "
            f"(clear with pytest --cache-clear)"
        )
    reason = _install_chromium()
    found = _find_browser()
    if found:
        return found
    reason = reason or "apt-get install chromium gave no chromium binary"
    request.config.cache.set(CACHE_KEY, reason)
    pytest.skip(f"chromium is not installed and could not be installed: {reason}")


def _chromium(browser: str, tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: the page must not need it
        f"--user-data-dir={profile}",
        *extra,
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


MEASURE = """<script>
window.addEventListener("load", () => {
  const figs = [...document.querySelectorAll("figure.fig svg")].map((el) => {
    const r = el.getBoundingClientRect();
    return {label: el.getAttribute("aria-label"), x: r.left + scrollX, y: r.top + scrollY,
            w: r.width, h: r.height};
  });
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({height: document.documentElement.scrollHeight, figs});
  document.body.appendChild(out);
});
</script>"""


def _measure(browser: str, page: Path, tmp: Path) -> dict[str, Any]:
    probe = tmp / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"))
    dom = _chromium(browser, tmp, probe.as_uri(), f"--window-size={WIDTH},3000", "--dump-dom")
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom.stdout, re.S)
    assert found, "the measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="session")
def rendered_report(report_inputs: dict[str, Path], tmp_path_factory) -> Path:  # noqa: F811
    card, model_id = load_card(report_inputs["model"])
    report = build_report(
        card,
        model_id=model_id,
        predictions=read_predictions(report_inputs["predictions"], card["labels"]),
        predictions_info={"name": "tagged.csv", "sha256": SHA},
        store=fake_store(card["labels"]),
        summary=read_release_summary(report_inputs["summary"]),
    )
    path = tmp_path_factory.mktemp("rendered") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_report_figures_are_drawn_in_chromium(browser: str, rendered_report: Path, tmp_path: Path):
    from PIL import Image

    layout = _measure(browser, rendered_report, tmp_path)
    figures = layout["figs"]
    assert len(figures) == 8, [f["label"] for f in figures]
    height = int(layout["height"]) + 10
    shot = tmp_path / "report.png"
    _chromium(
        browser,
        tmp_path,
        rendered_report.as_uri(),
        f"--window-size={WIDTH},{height}",
        f"--screenshot={shot}",
    )
    image = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int32)
    assert image.shape == (height, WIDTH, 3)
    inked = image.sum(axis=2) < 3 * 245  # clearly not the white page
    palette = np.array([_hex(c) for c in OKABE_ITO.values() if c != "#000000"])
    palette_hits = 0
    for fig in figures:
        assert fig["w"] > 200 and fig["h"] > 100, fig  # laid out at a readable size
        top, left = int(fig["y"]), int(fig["x"])
        region = image[top : top + int(fig["h"]), left : left + int(fig["w"])]
        share = inked[top : top + int(fig["h"]), left : left + int(fig["w"])].mean()
        assert share > 0.02, f"{fig['label']}: only {share:.1%} of its pixels are drawn"
        colours = np.unique(region.reshape(-1, 3), axis=0)
        assert len(colours) > 20, f"{fig['label']}: {len(colours)} colours, looks blank"
        near = np.abs(colours[:, None, :] - palette[None, :, :]).max(axis=2) <= 8
        palette_hits += bool(near.any())
    # the data marks use the Okabe-Ito palette (the heatmap uses cividis instead)
    assert palette_hits >= len(figures) - 1
    # a control: the page margin left of the figures is blank
    assert not inked[:, :20].any()


def test_report_prints_to_pdf(browser: str, rendered_report: Path, tmp_path: Path):
    pdf = tmp_path / "report.pdf"
    _chromium(
        browser,
        tmp_path,
        rendered_report.as_uri(),
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    n_pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 3 <= n_pages <= 20, n_pages  # A4 pages, figures not split into slivers
