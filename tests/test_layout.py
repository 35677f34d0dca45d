"""The layout the architecture promises (docs/architecture.md): packages with a public face,
modules of one job each (no module far over 400 lines), and test files that do not import
one another (shared helpers live in conftest.py and tests/support/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

SRC = ROOT / "src" / "allegations"
TESTS = ROOT / "tests"
#: STYLE.md: "If a file passes ~400 lines or does two things, split it."
MAX_LINES = 430


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_is_far_over_400_lines():
    long = {
        str(p.relative_to(SRC)): n
        for p in _modules(SRC)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (lines): {long}"


@pytest.mark.parametrize(
    "package",
    sorted(p.parent.name for p in SRC.glob("*/__init__.py")),
)
def test_every_package_lists_its_public_face(package: str):
    tree = ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8"))
    names = [
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    ]
    assert "__all__" in names, f"allegations.{package} has no __all__"


def _imported_modules(path: Path, source: str | None = None) -> list[str]:
    """Dotted names of the modules a file imports, relative ones resolved: a test file's
    inside ``tests``, a library module's inside ``allegations``."""
    if path.is_relative_to(SRC):
        package = ("allegations", *path.relative_to(SRC).parts[:-1])
    else:
        package = path.relative_to(ROOT).parts[:-1]
    found = []
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            found.append(".".join([*base, *(node.module or "").split(".")]).strip("."))
            found.extend(f"{found[-1]}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
    return found


def test_test_files_do_not_import_each_other():
    offenders = {}
    for path in _modules(TESTS):
        bad = [
            name
            for name in _imported_modules(path)
            if name.split(".")[0] == "tests" and name.split(".")[-1].startswith("test_")
        ]
        if bad:
            offenders[str(path.relative_to(TESTS))] = bad
    assert not offenders, f"move shared helpers to conftest.py or tests/support/: {offenders}"


def test_the_import_check_sees_both_spellings():
    probe = TESTS / "review" / "test_probe.py"  # never written: the source is given
    source = "from .test_select import x\nfrom ..training.test_curve import y\n"
    names = _imported_modules(probe, source)
    assert "tests.review.test_select" in names
    assert "tests.training.test_curve" in names
    assert not any(n.endswith("test_probe") for n in _imported_modules(probe, "import os\n"))


def _private_imports_across_packages(path: Path, source: str | None = None) -> list[str]:
    """Private modules of another package that a library module imports (``_name``)."""
    package = ".".join(("allegations", *path.relative_to(SRC).parts[:-1]))
    found = []
    for name in _imported_modules(path, source):
        parts = name.split(".")
        private = [i for i, part in enumerate(parts) if part.startswith("_") and i > 1]
        if not private or parts[private[0]].startswith("__"):
            continue
        owner, module = ".".join(parts[: private[0]]), ".".join(parts[: private[0] + 1])
        if owner != "allegations" and not (package + ".").startswith(owner + "."):
            found.append(module)
    return list(dict.fromkeys(found))


def test_packages_import_each_other_through_their_public_face():
    offenders = {
        str(p.relative_to(SRC)): bad
        for p in _modules(SRC)
        if (bad := _private_imports_across_packages(p))
    }
    assert not offenders, f"import these from the package, not its private module: {offenders}"


def test_the_public_face_check_sees_a_private_import():
    probe = SRC / "batch" / "_probe.py"  # never written: the source is given
    assert _private_imports_across_packages(probe, "from ..model._tagger import Tagger\n") == [
        "allegations.model._tagger"
    ]
    assert not _private_imports_across_packages(probe, "from ..model import Tagger\n")
    assert not _private_imports_across_packages(probe, "from ._job import open_job\n")
    assert not _private_imports_across_packages(probe, "from .._version import __version__\n")
