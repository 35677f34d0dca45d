"""The typer app, shared options, logging set-up and the error boundary."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Annotated, Any

import typer
from rich.console import Console, ConsoleDimensions
from typer.core import TyperGroup

from .._version import __version__
from ..errors import AllegationsError

#: The commands in the order of the work: train and check a model, check and tag a release,
#: review the tags, then measure and publish. ``allegations --help`` lists them so.
COMMAND_ORDER = (
    "train",
    "evaluate",
    "suspects",
    "curve",
    "compare-release",
    "predict",
    "review",
    "import",
    "export",
    "estimate",
    "agreement",
    "report",
    "demo",
)


class WorkflowGroup(TyperGroup):
    """The top-level command group: lists commands in :data:`COMMAND_ORDER`, not A-Z.

    A command missing from the tuple is listed after the others, in registration order.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: rank.get(name, len(rank)))


app = typer.Typer(
    name="allegations",
    cls=WorkflowGroup,
    help="Tag misconduct allegation narratives: train, tag, review, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals would hold narrative text
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: The width of standard output when it is not a terminal (see :class:`OutputConsole`).
UNBOUNDED_WIDTH = 10_000


class OutputConsole(Console):
    """Standard output: a terminal's width on a terminal, no width limit otherwise.

    A pipe, a log file or a notebook's ``!allegations`` has no width of its own; rich would
    take ``$COLUMNS`` (often stale or 80) and cut table cells with an ellipsis. Tables are
    never wider than their content, so they then print in full, and messages stay on one
    line each.
    """

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if not self.is_terminal:
            return ConsoleDimensions(UNBOUNDED_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = OutputConsole()
err_console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"allegations {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version (allegations X.Y.Z) and exit.",
        ),
    ] = False,
) -> None:
    # Options of `allegations` itself; its help text is the app's.
    pass


# Shared option types (help text written once).
TextCol = Annotated[str, typer.Option("--text-col", help="Column holding the narrative text.")]
IdCol = Annotated[
    str | None,
    typer.Option(
        "--id-col", help="Column holding a case id (default: the data row number, from 1)."
    ),
]
LabelsCol = Annotated[
    str,
    typer.Option(
        "--labels-col", help="Column holding the labels of a case, joined by --label-sep."
    ),
]
LabelSep = Annotated[
    str, typer.Option("--label-sep", help="Separator between labels in --labels-col.")
]
LabelCols = Annotated[
    str | None,
    typer.Option(
        "--label-cols",
        help="Comma-separated columns, one per label, holding 1/true/yes/y/x when "
        "the label applies (instead of --labels-col).",
    ),
]
Sheet = Annotated[
    str | None, typer.Option("--sheet", help="XLSX: the sheet to read (default: the first).")
]
Encoding = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="CSV/TSV text encoding (default: UTF-8, then Windows-1252 with a warning).",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
Sep = Annotated[
    str | None,
    typer.Option(
        "--sep",
        help="CSV/TSV field separator: , ; | or \\t (tab). Default: detected among those "
        "from the first lines (a semicolon .csv, a tab-separated .csv).",
    ),
]
HeaderRow = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        min=1,
        help="CSV/TSV/XLSX: the line (sheet row) of the header, from 1, when a title or "
        "notes sit above it (default: 1).",
    ),
]
SkipRows = Annotated[
    int | None,
    typer.Option(
        "--skip-rows",
        min=0,
        help="CSV/TSV/XLSX: lines (sheet rows) to leave out above the header "
        "(--skip-rows 2 is --header-row 3).",
    ),
]
NoHeader = Annotated[
    bool,
    typer.Option(
        "--no-header",
        help="CSV/TSV/XLSX: the file has no header row; its columns are named column_1, "
        "column_2, ... (pass --text-col column_2).",
    ),
]


class BadRows(str, Enum):
    """Choices of --on-bad-rows (see :data:`allegations.tables._checks.ON_BAD_ROWS`)."""

    error = "error"
    skip = "skip"


OnBadRows = Annotated[
    BadRows,
    typer.Option(
        "--on-bad-rows",
        help="A malformed record (wrong number of fields, a quote never closed, a line that "
        "is not JSON): 'error' stops with its record number; 'skip' leaves it out and "
        "reports how many and which.",
    ),
]
AllowVersionMismatch = Annotated[
    bool,
    typer.Option(
        "--allow-version-mismatch",
        help="Load a model even if the installed spaCy tokenises its check sentences "
        "differently (results may differ; a warning is printed).",
    ),
]


#: Library parameters whose flag is not ``--`` and the name with ``-`` for ``_`` (a
#: test checks that every parameter a library message names maps to an existing flag).
IRREGULAR_FLAGS = {
    "fmt": "--format",
    "json_path": "--json",
    "model_path": "--model",
    "out_path": "--out",
    "store_path": "--store",
}

#: A parameter name in a library message: one lowercase identifier in single backticks.
_PARAMETER = re.compile(r"`([a-z][a-z0-9_]*)`")


def flag_of(parameter: str) -> str:
    """The command-line flag of a library parameter: ``header_row`` -> ``--header-row``."""
    return IRREGULAR_FLAGS.get(parameter) or "--" + parameter.replace("_", "-")


@functools.cache
def command_flags() -> frozenset[str]:
    """The long options of every registered command (read once, at the first message)."""
    group = typer.main.get_command(app)
    return frozenset(
        opt
        for command in getattr(group, "commands", {}).values()
        for param in command.params
        if param.param_type_name == "option"
        for opt in [*param.opts, *param.secondary_opts]
        if opt.startswith("--")
    )


def cli_message(text: str) -> str:
    """A library message as the command line shows it: each `` `name` `` becomes its flag.

    The library names its parameters (``pass `header_row` 3``); the command line's user
    knows them as options (``pass --header-row 3``). A backticked name that is no
    command's option (a column name the user chose) is left as it is.
    """

    def flag(match: re.Match[str]) -> str:
        found = flag_of(match.group(1))
        return found if found in command_flags() else match.group(0)

    return _PARAMETER.sub(flag, text)


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        err_console.print(
            f"{prefix}{cli_message(record.getMessage())}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def setup_logging(quiet: bool = False) -> None:
    """Send the library's log records to stderr (warnings and up; nothing with --quiet)."""
    logger = logging.getLogger("allegations")
    logger.handlers[:] = [_StderrHandler()]
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    logger.propagate = False


def table_options(
    *,
    text_col: str = "text",
    id_col: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    on_bad_rows: BadRows | str = "error",
    sep: str | None = None,
    header_row: int | None = None,
    skip_rows: int | None = None,
    no_header: bool = False,
    prefix: str = "",
    rename: Callable[[AllegationsError], AllegationsError] | None = None,
) -> Any:
    """The :class:`~allegations.tables._options.TableOptions` of a command's options.

    A separator or a layout that cannot be is a usage error (exit code 2). ``prefix`` and
    ``rename`` are for a second set of layout options (``--training-sep``): the flags'
    prefix, and how a library error is made to name that set's parameters.
    """
    from ..tables import TableOptions

    if no_header and header_row is not None:
        raise typer.BadParameter(
            f"--{prefix}no-header and --{prefix}header-row contradict each other; pass "
            f"--{prefix}skip-rows N to leave out lines above header-less data.",
            param_hint=f"--{prefix}no-header",
        )
    try:
        return TableOptions.from_layout(
            header_row=header_row,
            skip_rows=skip_rows,
            text_col=text_col,
            id_col=id_col,
            sheet=sheet,
            encoding=encoding,
            on_bad_rows=getattr(on_bad_rows, "value", on_bad_rows),
            sep=sep,
            no_header=no_header,
        )
    except AllegationsError as exc:
        raise typer.BadParameter(cli_message(str(rename(exc) if rename else exc))) from None


def split_cols(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated option into stripped, non-empty names."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


@contextlib.contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn library errors into ``Error: ...`` on stderr and exit code 1."""
    try:
        yield
    except AllegationsError as exc:
        fail(str(exc))


def fail(message: str, code: int = 1) -> Any:
    """Print ``Error: message`` on stderr and exit with ``code``.

    A library message's parameter names are shown as flags (:func:`cli_message`).
    """
    err_console.print(
        f"Error: {cli_message(message)}", markup=False, highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def main() -> None:
    """Entry point of the console script: run the app behind a last error boundary."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("Interrupted; no output was written.", markup=False)
        sys.exit(130)
    except AllegationsError as exc:  # raised outside a command body
        err_console.print(
            f"Error: {cli_message(str(exc))}", markup=False, highlight=False, soft_wrap=True
        )
        sys.exit(1)
    except Exception as exc:  # a bug: never show locals or messages that may hold text
        if os.environ.get("ALLEGATIONS_DEBUG"):
            raise
        err_console.print(
            f"Error: unexpected internal error ({type(exc).__name__}). This is a bug in "
            "allegations; rerun with ALLEGATIONS_DEBUG=1 to see the traceback and report it "
            "(check it for personal data first).",
            markup=False,
            soft_wrap=True,
        )
        sys.exit(1)
