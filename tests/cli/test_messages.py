"""Library messages name parameters (`text_col`); the command line shows them as flags."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import allegations
from allegations.batch._workflows import read_labelled
from allegations.cli import app
from allegations.cli._app import IRREGULAR_FLAGS, cli_message, command_flags, flag_of
from allegations.errors import ColumnError, InputError
from allegations.tables._options import TableOptions

PACKAGE = Path(allegations.__file__).resolve().parent

#: A command-line flag, such as ``--text-col``.
FLAG = re.compile(r"--[a-z]")
#: A command a user should run, quoted: ``'allegations train DATA --out FOLDER'``.
COMMAND_EXAMPLE = re.compile(r"'allegations [^']*'")
#: A parameter named in a message.
PARAMETER = re.compile(r"`([a-z][a-z0-9_]*)`")
#: The logger methods whose messages reach the user.
LOG_METHODS = {"debug", "info", "warning", "error", "critical", "exception"}
#: Functions whose argument (at this position) is the parameter a message names.
PARAMETER_ARGUMENTS = {"require_column": 3, "_require": 3}


def _library_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] != "cli"
    )


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with ``{}`` for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _strings(node: ast.AST) -> Iterator[str]:
    """Every string literal within ``node`` (an f-string counted once, whole)."""
    text = _text(node)
    if text is not None:
        yield text
        return
    for child in ast.iter_child_nodes(node):
        yield from _strings(child)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_message_call(call: ast.Call) -> bool:
    """An exception made, a warning given, or a log record written."""
    name = _name(call.func)
    if name.endswith("Error"):
        return True
    if name == "warn" and isinstance(call.func, ast.Attribute):
        return True
    return name in LOG_METHODS and isinstance(call.func, ast.Attribute)


def _messages(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of the string literals of every message in a module."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            found.update((node.lineno, text) for text in _strings(node.exc))
        elif isinstance(node, ast.Call) and _is_message_call(node):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                found.update((node.lineno, text) for text in _strings(arg))
    return sorted(found)


def _named_parameters(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, name) of each parameter a message names, in backticks or as an argument."""
    for line, text in _messages(tree):
        for match in PARAMETER.finditer(text):
            yield line, match.group(1)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in PARAMETER_ARGUMENTS:
            position = PARAMETER_ARGUMENTS[_name(node.func)]
            if len(node.args) > position:
                text = _text(node.args[position])
                if text is not None:
                    yield node.lineno, text


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(PACKAGE).as_posix()}:{line}"


def test_library_messages_name_no_flag():
    """Outside ``cli/``, a message names the parameter (`text_col`), not --text-col; a
    quoted command to run ('allegations train DATA --out FOLDER') may name flags."""
    found = [
        f"{_where(path, line)}: {text!r}"
        for path in _library_modules()
        for line, text in _messages(_parse(path))
        if FLAG.search(COMMAND_EXAMPLE.sub("", text))
    ]
    assert not found, "name the parameter in backticks instead:\n" + "\n".join(found)


def test_every_parameter_a_message_names_is_a_flag_of_some_command():
    flags = command_flags()
    assert {"--text-col", "--format", "--store"} <= flags  # the registered commands' options
    named = [
        (_where(path, line), name)
        for path in _library_modules()
        for line, name in _named_parameters(_parse(path))
    ]
    assert len({name for _, name in named}) > 20  # the scan sees the messages
    stale = [f"{where}: `{name}` -> {flag_of(name)}" for where, name in named]
    stale = [entry for entry in stale if entry.rsplit(" ", 1)[1] not in flags]
    assert not stale, "no command has that flag (see IRREGULAR_FLAGS):\n" + "\n".join(stale)
    assert set(IRREGULAR_FLAGS.values()) <= flags


def test_cli_message_maps_parameters_to_flags():
    assert cli_message("pass `header_row` 3.") == "pass --header-row 3."
    assert cli_message("export with `fmt` prodigy") == "export with --format prodigy"
    assert cli_message("a new `store_path`.") == "a new --store."
    command = "run 'allegations train DATA --out FOLDER'."
    assert cli_message(command) == command
    assert cli_message("Column 'A`b' not found") == "Column 'A`b' not found"
    # A backticked name that is no option (a column name) is the user's own text.
    assert cli_message("columns are: id, `note`.") == "columns are: id, `note`."


@pytest.fixture()
def cp1252_csv(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_bytes("id,text,labels\n1,caf\xe9 visit,query\n".encode("cp1252"))
    return path


def test_the_command_line_shows_flags_for_an_error_and_a_warning(cp1252_csv: Path, tmp_path):
    result = CliRunner().invoke(
        app,
        ["train", str(cp1252_csv), "--text-col", "narrative", "--out", str(tmp_path / "m")],
        env={"COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "Warning: cases.csv is not UTF-8" in output
    assert "Pass --encoding to choose another encoding." in output
    assert (
        "Error: Column 'narrative' not found in cases.csv; columns are: id, text, labels. "
        "Pass --text-col." in output
    )
    assert "`" not in output


def test_a_layout_error_is_a_usage_error_naming_the_flags(cp1252_csv: Path, tmp_path):
    result = CliRunner().invoke(
        app,
        ["train", str(cp1252_csv), "--header-row", "3", "--skip-rows", "1"]
        + ["--out", str(tmp_path / "m")],
        env={"COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert result.exit_code == 2
    assert "--header-row 3 and --skip-rows 1 disagree" in " ".join(result.output.split())


def test_the_library_names_its_parameters(cp1252_csv: Path, caplog: pytest.LogCaptureFixture):
    with pytest.raises(ColumnError, match=r"columns are: id, text, labels\. Pass `text_col`\.$"):
        read_labelled([cp1252_csv], text_col="narrative")
    assert "Pass `encoding` to choose another encoding." in caplog.text
    with pytest.raises(InputError, match="`header_row` 3 and `skip_rows` 1 disagree"):
        TableOptions.from_layout(header_row=3, skip_rows=1)
