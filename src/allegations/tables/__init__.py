"""Read and write tables (CSV, TSV, XLSX, JSON Lines, Parquet): the readers and their checks,
the streaming reader and writer, one atomic writer.

Modules are imported when one of their names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .atomic import (
        PARTIAL_SUFFIX,
        atomic_write,
        partial_output,
        remove_stale_partials,
    )
    from .checks import (
        FORMATS,
        ON_BAD_ROWS,
        OnBadRows,
        ReadReport,
        check_header,
        check_on_bad_rows,
        show_name,
        table_format,
    )
    from .chunk_writer import (
        ChunkWriter,
        open_writer,
    )
    from .columns import (
        numbers_only_counts,
        require_column,
        warn_if_numbers_only,
        warn_numbers_only,
    )
    from .encoding import detect_encoding
    from .formats import TableFormat
    from .frames import (
        strip_nul_cells,
        text_frame,
        warn_nul_cells,
        warn_skipped,
    )
    from .jsonl import (
        iter_jsonl_objects,
        jsonl_frame,
    )
    from .layout import locate_header
    from .options import (
        SEPARATORS,
        TableOptions,
        describe_sep,
        detect_sep,
    )
    from .parquet import arrow_text_frame
    from .read import (
        check_input,
        load_table,
        sha256_file,
    )
    from .records import iter_delimited_records
    from .stream import (
        TableStream,
        open_table,
        scan_file,
    )
    from .write import (
        EXCEL_MAX_CELL,
        EXCEL_MAX_COLS,
        EXCEL_MAX_ROWS,
        FORMULA_START,
        WriteReport,
        check_excel_size,
        format_rounded_floats,
        nested_records,
        neutralise_formula,
        neutralise_frame,
        write_table,
    )

__all__ = [
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
    "TableFormat": "formats",
    "TableOptions": "options",
    "SEPARATORS": "options",
    "detect_sep": "options",
    "describe_sep": "options",
    "locate_header": "layout",
    "FORMATS": "checks",
    "ON_BAD_ROWS": "checks",
    "OnBadRows": "checks",
    "ReadReport": "checks",
    "WriteReport": "write",
    "table_format": "checks",
    "detect_encoding": "encoding",
    "check_header": "checks",
    "check_on_bad_rows": "checks",
    "iter_delimited_records": "records",
    "load_table": "read",
    "check_input": "read",
    "require_column": "columns",
    "warn_numbers_only": "columns",
    "numbers_only_counts": "columns",
    "warn_if_numbers_only": "columns",
    "iter_jsonl_objects": "jsonl",
    "jsonl_frame": "jsonl",
    "arrow_text_frame": "parquet",
    "text_frame": "frames",
    "strip_nul_cells": "frames",
    "warn_nul_cells": "frames",
    "warn_skipped": "frames",
    "neutralise_formula": "write",
    "neutralise_frame": "write",
    "write_table": "write",
    "atomic_write": "atomic",
    "check_excel_size": "write",
    "sha256_file": "read",
    "EXCEL_MAX_ROWS": "write",
    "EXCEL_MAX_COLS": "write",
    "EXCEL_MAX_CELL": "write",
    "TableStream": "stream",
    "open_table": "stream",
    "scan_file": "stream",
    "ChunkWriter": "chunk_writer",
    "open_writer": "chunk_writer",
    "partial_output": "atomic",
    "remove_stale_partials": "atomic",
    "PARTIAL_SUFFIX": "atomic",
    "nested_records": "write",
    "FORMULA_START": "write",
    "format_rounded_floats": "write",
    "show_name": "checks",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
