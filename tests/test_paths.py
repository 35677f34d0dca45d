"""The shipped model and the bundled data are found from a checkout and from a wheel."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from allegations import _paths

from .conftest import ROOT


def test_a_checkout_wins_and_an_installed_share_is_the_fallback(tmp_path, monkeypatch):
    assert _paths.shipped_model() == ROOT / "models" / "default"
    share = tmp_path / "share" / "allegations"
    (share / "models" / "default").mkdir(parents=True)
    (share / "data").mkdir()
    monkeypatch.setattr(_paths, "PROJECT_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(_paths, "INSTALLED_SHARE", share)
    assert _paths.shipped_model() == share / "models" / "default"
    assert _paths.bundled_data() == share / "data"
    assert _paths.model_folder("default") == share / "models" / "default"


@pytest.mark.slow
def test_a_wheel_install_finds_the_shipped_model_from_any_folder(tmp_path):
    """Issue 19 item 2: 'predict' without --model and 'demo' work in a wheel install."""
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.skip(f"could not build the wheel here: {built.stderr.strip()[-200:]}")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    site = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies come from this environment (a path entry: its own .pth files, such
    # as the editable install of this checkout, are not processed).
    Path(site, "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    (wheel,) = wheels.glob("allegations-*.whl")
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "cases.csv").write_text(
        "id,text\n1,Agent queried TECS for his ex-girlfriend's address.\n", encoding="utf-8"
    )
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import allegations._paths as p; print(p.shipped_model())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=work,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT)
    run = subprocess.run(
        [str(bin_dir / "allegations"), "predict", "cases.csv", "--out", "tagged.csv", "--quiet"],
        capture_output=True,
        text=True,
        cwd=work,
    )
    assert run.returncode == 0, run.stderr
    assert "unauthorized_query" in (work / "tagged.csv").read_text(encoding="utf-8")
