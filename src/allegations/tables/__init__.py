"""Read and write tables (CSV, TSV, XLSX, JSON Lines, Parquet): the readers and their checks,
the streaming reader and writer, one atomic writer.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._atomic import (
        PARTIAL_SUFFIX,
        atomic_write,
        check_output_path,
        partial_output,
        remove_stale_partials,
    )
    from ._checks import (
        FORMATS,
        ON_BAD_ROWS,
        OnBadRows,
        ReadReport,
        check_header,
        check_on_bad_rows,
        show_name,
        table_format,
    )
    from ._chunk_writer import (
        ChunkWriter,
        open_writer,
    )
    from ._columns import (
        numbers_only_counts,
        require_column,
        warn_if_numbers_only,
        warn_numbers_only,
    )
    from ._encoding import detect_encoding
    from ._formats import TableFormat
    from ._frames import (
        cell_text,
        strip_nul_cells,
        text_frame,
        warn_nul_cells,
        warn_skipped,
    )
    from ._jsonl import (
        iter_jsonl_objects,
        jsonl_frame,
    )
    from ._layout import locate_header
    from ._options import (
        SEPARATORS,
        SNIFF_CHARS,
        TableOptions,
        describe_sep,
        detect_sep,
    )
    from ._parquet import arrow_text_frame
    from ._read import (
        check_input,
        load_table,
        sha256_file,
    )
    from ._records import iter_delimited_records
    from ._stream import (
        TableStream,
        open_table,
        scan_file,
    )
    from ._write import (
        EXCEL_MAX_CELL,
        EXCEL_MAX_COLS,
        EXCEL_MAX_ROWS,
        FORMULA_START,
        WriteReport,
        check_excel_rows,
        check_excel_size,
        format_rounded_floats,
        nested_records,
        neutralise_formula,
        neutralise_frame,
        write_table,
    )

__all__ = [
    "check_excel_rows",
    "cell_text",
    "SNIFF_CHARS",
    "TableFormat",
    "TableOptions",
    "SEPARATORS",
    "detect_sep",
    "describe_sep",
    "locate_header",
    "FORMATS",
    "ON_BAD_ROWS",
    "OnBadRows",
    "ReadReport",
    "WriteReport",
    "table_format",
    "detect_encoding",
    "check_header",
    "check_on_bad_rows",
    "iter_delimited_records",
    "load_table",
    "check_input",
    "require_column",
    "warn_numbers_only",
    "numbers_only_counts",
    "warn_if_numbers_only",
    "iter_jsonl_objects",
    "jsonl_frame",
    "arrow_text_frame",
    "text_frame",
    "strip_nul_cells",
    "warn_nul_cells",
    "warn_skipped",
    "neutralise_formula",
    "neutralise_frame",
    "write_table",
    "atomic_write",
    "check_output_path",
    "check_excel_size",
    "sha256_file",
    "EXCEL_MAX_ROWS",
    "EXCEL_MAX_COLS",
    "EXCEL_MAX_CELL",
    "TableStream",
    "open_table",
    "scan_file",
    "ChunkWriter",
    "open_writer",
    "partial_output",
    "remove_stale_partials",
    "PARTIAL_SUFFIX",
    "nested_records",
    "FORMULA_START",
    "format_rounded_floats",
    "show_name",
]

_WHERE = {
    "check_excel_rows": "_write",
    "cell_text": "_frames",
    "SNIFF_CHARS": "_options",
    "TableFormat": "_formats",
    "TableOptions": "_options",
    "SEPARATORS": "_options",
    "detect_sep": "_options",
    "describe_sep": "_options",
    "locate_header": "_layout",
    "FORMATS": "_checks",
    "ON_BAD_ROWS": "_checks",
    "OnBadRows": "_checks",
    "ReadReport": "_checks",
    "WriteReport": "_write",
    "table_format": "_checks",
    "detect_encoding": "_encoding",
    "check_header": "_checks",
    "check_on_bad_rows": "_checks",
    "iter_delimited_records": "_records",
    "load_table": "_read",
    "check_input": "_read",
    "require_column": "_columns",
    "warn_numbers_only": "_columns",
    "numbers_only_counts": "_columns",
    "warn_if_numbers_only": "_columns",
    "iter_jsonl_objects": "_jsonl",
    "jsonl_frame": "_jsonl",
    "arrow_text_frame": "_parquet",
    "text_frame": "_frames",
    "strip_nul_cells": "_frames",
    "warn_nul_cells": "_frames",
    "warn_skipped": "_frames",
    "neutralise_formula": "_write",
    "neutralise_frame": "_write",
    "write_table": "_write",
    "atomic_write": "_atomic",
    "check_output_path": "_atomic",
    "check_excel_size": "_write",
    "sha256_file": "_read",
    "EXCEL_MAX_ROWS": "_write",
    "EXCEL_MAX_COLS": "_write",
    "EXCEL_MAX_CELL": "_write",
    "TableStream": "_stream",
    "open_table": "_stream",
    "scan_file": "_stream",
    "ChunkWriter": "_chunk_writer",
    "open_writer": "_chunk_writer",
    "partial_output": "_atomic",
    "remove_stale_partials": "_atomic",
    "PARTIAL_SUFFIX": "_atomic",
    "nested_records": "_write",
    "FORMULA_START": "_write",
    "format_rounded_floats": "_write",
    "show_name": "_checks",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
